<?php
// The official PHP SDK's APIv2 client through a till's day against the sandbox (run.sh):
// micropay, orderquery with HMAC-SHA256, a business failure, a refund with the merchant
// certificate (refused without it over --tls), bills plain and gzip and a day without a
// bill. php client_v2_flow.php BASE_URL KEYS_DIR; exit 0 when every call interoperates.
require getenv('WXPAY_PHP_AUTOLOAD');
use WeChatPay\Builder;
use WeChatPay\Crypto\Rsa;
use WeChatPay\Util\PemUtil;

$base = $argv[1];
$dir = $argv[2];
$cfg = json_decode(file_get_contents("$dir/CONFIG.json"), true);
$certs = [];
foreach ($cfg['platform'] as $serial => $file) {
    $certs[$serial] = Rsa::from("file://$dir/$file", Rsa::KEY_TYPE_PUBLIC);
}
$instance = Builder::factory([
    'mchid' => $cfg['mchid'],
    'serial' => $cfg['serial'],
    'privateKey' => Rsa::from("file://$dir/merchant_key.pem"),
    'certs' => $certs,
    'secret' => $cfg['apiv2_key'],
    'merchant' => ['cert' => "$dir/merchant_cert.pem", 'key' => "$dir/merchant_key.pem"],
    'base_uri' => $base,
    'verify' => is_file("$dir/mock-ca.pem") ? "$dir/mock-ca.pem" : true,
]);
$xml = WeChatPay\Transformer::class;
$ok = 0; $bad = 0;
function body_of(\Throwable $e): string {
    if ($e instanceof \GuzzleHttp\Promise\RejectionException && $e->getReason() instanceof \Psr\Http\Message\ResponseInterface)
        return (string)$e->getReason()->getBody();
    return method_exists($e, 'getResponse') && $e->getResponse() ? (string)$e->getResponse()->getBody() : '';
}
function check($what, $cond, $detail = '') { global $ok, $bad; if ($cond) { $ok++; echo "ok   $what\n"; } else { $bad++; echo "FAIL $what $detail\n"; } }

$orderNo = 'PHP' . time();
$calls = [
  ['micropay MD5', 'pay/micropay', ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'], 'body' => 'A & B <till> "门店"',
     'out_trade_no' => $orderNo, 'total_fee' => '101', 'spbill_create_ip' => '127.0.0.1', 'auth_code' => '134567890123456781']],
  ['orderquery HMAC-SHA256', 'pay/orderquery', ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'], 'out_trade_no' => $orderNo, 'sign_type' => 'HMAC-SHA256']],
];
foreach ($calls as [$what, $path, $fields]) {
    try {
        $chain = $instance->chain("v2/$path");
        $res = $chain->postAsync(['xml' => $fields])->wait();
        $a = $xml::toArray((string)$res->getBody());
        check("$what: accepted and verified by the SDK", ($a['return_code'] ?? '') === 'SUCCESS' && ($a['result_code'] ?? '') === 'SUCCESS', json_encode($a, JSON_UNESCAPED_UNICODE));
        if ($path === 'pay/orderquery') check("$what: trade_state SUCCESS", ($a['trade_state'] ?? '') === 'SUCCESS');
    } catch (\Throwable $e) {
        $body = body_of($e);
        check($what, false, get_class($e) . ': ' . $e->getMessage() . ' ' . $body);
    }
}
// the v2 property chain, as in the SDK's README
try {
    $res = $instance->v2->pay->micropay->postAsync(['xml' => ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'], 'body' => 'x',
        'out_trade_no' => $orderNo . 'B', 'total_fee' => 7, 'spbill_create_ip' => '127.0.0.1', 'auth_code' => '134567890123456781']])->wait();
    $a = $xml::toArray((string)$res->getBody());
    check('v2->pay->micropay->postAsync', ($a['result_code'] ?? '') === 'SUCCESS', json_encode($a));
} catch (\Throwable $e) { check('v2->pay->micropay->postAsync', false, $e->getMessage()); }
// a business failure: rejected by the SDK (result_code FAIL), with the sandbox's err_code
try {
    $instance->v2->pay->orderquery->postAsync(['xml' => ['appid' => 'wx1', 'mch_id' => $cfg['mchid'], 'out_trade_no' => 'PHP-NONE']])->wait();
    check('orderquery unknown order rejected', false, 'was accepted');
} catch (\Throwable $e) {
    $body = body_of($e);
    check('orderquery unknown order rejected with ORDERNOTEXIST', strpos($body, 'ORDERNOTEXIST') !== false, $body);
}
// refund with the merchant certificate (security => true)
try {
    $res = $instance->v2->secapi->pay->refund->postAsync(['security' => true, 'xml' => ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'],
        'out_trade_no' => $orderNo, 'out_refund_no' => $orderNo . 'R', 'total_fee' => '101', 'refund_fee' => '50']])->wait();
    $a = $xml::toArray((string)$res->getBody());
    check('secapi/pay/refund with the certificate', ($a['result_code'] ?? '') === 'SUCCESS', json_encode($a));
} catch (\Throwable $e) {
    $body = body_of($e);
    check('secapi/pay/refund', false, $e->getMessage() . ' ' . $body);
}
// bills: plain text, unsigned (the SDK does not check a sign there)
try {
    $res = $instance->v2->pay->downloadbill->postAsync(['xml' => ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'],
        'bill_date' => date('Ymd', time() + 8 * 3600 - (int)date('Z')), 'bill_type' => 'ALL']])->wait();
    $text = (string)$res->getBody();
    check('downloadbill: the bill text', strpos($text, "`$orderNo,") !== false && strpos($text, '总交易单数') !== false, substr($text, 0, 300));
} catch (\Throwable $e) { check('downloadbill', false, $e->getMessage()); }
// gzip bill: the SDK hands back the bytes; they inflate to the same bill
try {
    $res = $instance->v2->pay->downloadbill->postAsync(['xml' => ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'],
        'bill_date' => gmdate('Ymd', time() + 8 * 3600), 'bill_type' => 'ALL', 'tar_type' => 'GZIP']])->wait();
    $text = gzdecode((string)$res->getBody());
    check('downloadbill GZIP: ' . $res->getHeaderLine('Content-Type'), $text !== false && strpos($text, "`$orderNo,") !== false);
} catch (\Throwable $e) { check('downloadbill GZIP', false, $e->getMessage()); }
// no bill that day: XML FAIL, which the SDK hands back as it is (an unsigned endpoint)
try {
    $res = $instance->v2->pay->downloadbill->postAsync(['xml' => ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'],
        'bill_date' => '20200101']])->wait();
    $a = $xml::toArray((string)$res->getBody());
    check('downloadbill without a bill: ' . json_encode($a), ($a['return_msg'] ?? '') === 'No Bill Exist');
} catch (\Throwable $e) { check('downloadbill without a bill', false, $e->getMessage()); }
if (strpos($base, 'https:') === 0) {
    try { // the certificate call without the certificate
        $instance->v2->secapi->pay->refund->postAsync(['xml' => ['appid' => 'wx2421b1c4370ec43b', 'mch_id' => $cfg['mchid'],
            'out_trade_no' => $orderNo, 'out_refund_no' => $orderNo . 'R2', 'total_fee' => '101', 'refund_fee' => '1']])->wait();
        check('refund without the certificate refused', false, 'accepted');
    } catch (\Throwable $e) { check('refund without the certificate refused: ' . body_of($e), strpos(body_of($e), 'FAIL') !== false); }
}
echo "$ok ok, $bad failed\n";
exit($bad ? 1 : 0);
