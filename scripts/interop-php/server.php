<?php
// An APIv2 server on the PHP SDK's own code, for `php -S` (router script): the request
// read with Transformer::toArray, its sign checked with Hash::sign over
// Formatter::ksort/queryStringLike, the answer written with Transformer::toXml and signed
// the same way. $WX_KEYS is the keys folder; what it saw is appended to $WX_SERVER_LOG.
require __DIR__ . '/shim.php';
use WeChatPay\Transformer;
use WeChatPay\Formatter;
use WeChatPay\Crypto\Hash;

$cfg = json_decode(file_get_contents(getenv('WX_KEYS') . '/CONFIG.json'), true);
$secret = $cfg['apiv2_key'];
$raw = file_get_contents('php://input');
$in = Transformer::toArray($raw);
$type = $in['sign_type'] ?? Hash::ALGO_MD5;
$calc = Hash::sign($type, Formatter::queryStringLike(Formatter::ksort($in)), $secret);
$log = sprintf("%s %s ct=%s accept=%s sign_type=%s nonce=%s sign_ok=%s\n", $_SERVER['REQUEST_METHOD'], $_SERVER['REQUEST_URI'],
    $_SERVER['CONTENT_TYPE'] ?? '', $_SERVER['HTTP_ACCEPT'] ?? '', $type, $in['nonce_str'] ?? '-', Hash::equals($calc, $in['sign'] ?? '') ? 'yes' : 'NO');
file_put_contents(getenv('WX_SERVER_LOG'), $log . $raw . "\n", FILE_APPEND);
header('Content-Type: text/xml; charset=utf-8');
if (!Hash::equals($calc, $in['sign'] ?? '')) {
    echo Transformer::toXml(['return_code' => 'FAIL', 'return_msg' => '签名错误']);
    return;
}
$out = ['return_code' => 'SUCCESS', 'return_msg' => 'OK', 'appid' => $in['appid'] ?? '', 'mch_id' => $in['mch_id'] ?? '',
        'nonce_str' => Formatter::nonce(), 'result_code' => 'SUCCESS', 'out_trade_no' => $in['out_trade_no'] ?? '',
        'transaction_id' => '4200000000000000000000000001', 'total_fee' => $in['total_fee'] ?? '1', 'body_echo' => $in['body'] ?? '',
        'attach' => 'A & B <x> "q" 中文'];
if (isset($in['sign_type'])) $out['sign_type'] = $in['sign_type'];
$out['sign'] = Hash::sign($type, Formatter::queryStringLike(Formatter::ksort($out)), $secret);
echo Transformer::toXml($out);
