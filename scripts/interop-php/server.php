<?php
// A WeChat Pay stand-in built only from the official PHP SDK's primitives: it checks the
// caller's APIv3 signature / APIv2 sign and answers signed the SDK's way.
require getenv('WXPAY_PHP_AUTOLOAD');
use WeChatPay\Formatter; use WeChatPay\Crypto\Rsa; use WeChatPay\Crypto\Hash; use WeChatPay\Transformer;
$k = getenv('WXPAY_KEYS').'/';
$cfg = json_decode(file_get_contents($k.'CONFIG.json'), true);
$merchantPub = Rsa::from('file://'.$k.'merchant_cert.pem', Rsa::KEY_TYPE_PUBLIC);
$platformKey = Rsa::from('file://'.$k.'platform_key.pem');
$platformSerial = array_keys($cfg['platform'])[0];
$uri = $_SERVER['REQUEST_URI']; $method = $_SERVER['REQUEST_METHOD'];
$body = file_get_contents('php://input');
$log = fopen(getenv('WXPAY_KEYS').'/php-server.log', 'a');
if (strncmp($uri, '/v3/', 4) === 0) {
  $auth = $_SERVER['HTTP_AUTHORIZATION'] ?? '';
  preg_match_all('/(\w+)="([^"]*)"/', $auth, $m);
  $a = array_combine($m[1], $m[2]);
  $ok = str_starts_with($auth, 'WECHATPAY2-SHA256-RSA2048 ') && ($a['mchid'] ?? '') === $cfg['mchid']
     && Rsa::verify(Formatter::request($method, $uri, $a['timestamp'], $a['nonce_str'], $body), $a['signature'], $merchantPub);
  fwrite($log, "v3 $method $uri auth=" . ($ok ? 'ok' : 'BAD') . "\n");
  $out = $ok ? json_encode(['echo_uri' => $uri, 'got' => json_decode($body ?: 'null'), 'zh' => '微信支付']) : json_encode(['code' => 'SIGN_ERROR', 'message' => 'bad signature']);
  http_response_code($ok ? 200 : 401);
  $ts = (string)Formatter::timestamp(); $nonce = Formatter::nonce();
  header('Content-Type: application/json');
  header('Request-ID: php-'.$nonce);
  header('Wechatpay-Timestamp: '.$ts); header('Wechatpay-Nonce: '.$nonce);
  header('Wechatpay-Serial: '.$platformSerial);
  header('Wechatpay-Signature: '.Rsa::sign(Formatter::response($ts, $nonce, $out), $platformKey));
  echo isset($_SERVER['HTTP_X_TAMPER']) ? str_replace('o1', 'o2', $out) : $out;
} else {
  $req = Transformer::toArray($body);
  $type = ($req['sign_type'] ?? 'MD5') === 'HMAC-SHA256' ? Hash::ALGO_HMAC_SHA256 : Hash::ALGO_MD5;
  $given = $req['sign'] ?? ''; unset($req['sign']);
  $ok = Hash::equals(Hash::sign($type, Formatter::queryStringLike(Formatter::ksort($req)), $cfg['apiv2_key']), $given);
  fwrite($log, "v2 $uri sign=" . ($ok ? 'ok' : 'BAD') . "\n");
  $ans = $ok ? ['return_code' => 'SUCCESS', 'return_msg' => 'OK', 'result_code' => 'SUCCESS', 'appid' => $req['appid'] ?? '', 'mch_id' => $cfg['mchid'],
                'nonce_str' => Formatter::nonce(), 'out_trade_no' => $req['out_trade_no'] ?? '', 'transaction_id' => '4200000000202612030000000001', 'trade_state' => 'SUCCESS', 'total_fee' => '1']
             : ['return_code' => 'FAIL', 'return_msg' => 'sign error'];
  if ($ok) { if ($type === Hash::ALGO_HMAC_SHA256) $ans['sign_type'] = 'HMAC-SHA256';
             $ans['sign'] = Hash::sign($type, Formatter::queryStringLike(Formatter::ksort($ans)), $cfg['apiv2_key']); }
  header('Content-Type: text/xml');
  echo Transformer::toXml($ans);
}
