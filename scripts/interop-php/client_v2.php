<?php
require getenv('WXPAY_PHP_AUTOLOAD');
use WeChatPay\Builder; use WeChatPay\Crypto\Rsa; use WeChatPay\Transformer;
$cfg = json_decode(file_get_contents(getenv('WXPAY_KEYS').'/CONFIG.json'), true);
$k = getenv('WXPAY_KEYS').'/';
$platform = [];
foreach ($cfg['platform'] as $serial => $f) $platform[$serial] = Rsa::from('file://'.$k.$f, Rsa::KEY_TYPE_PUBLIC);
$inst = Builder::factory([
  'mchid' => $cfg['mchid'], 'serial' => $cfg['serial'],
  'privateKey' => Rsa::from('file://'.$k.'merchant_key.pem'),
  'certs' => $platform, 'secret' => $cfg['apiv2_key'],
  'merchant' => ['cert' => $k.'merchant_cert.pem', 'key' => $k.'merchant_key.pem'],
  'base_uri' => 'http://127.0.0.1:'.$argv[1].'/',
]);
$otn = 'php2'.time();
foreach (['MD5' => null, 'HMAC-SHA256' => 'HMAC-SHA256'] as $name => $st) {
  $xml = ['appid'=>'wxd678efh567hg6787','mch_id'=>$cfg['mchid'],'body'=>'till','out_trade_no'=>$otn.$name[0],'total_fee'=>'1','spbill_create_ip'=>'127.0.0.1','auth_code'=>'134567890123456780'];
  if ($st) $xml['sign_type'] = $st;
  try { $r = $inst->v2->pay->micropay->post(["xml" => $xml]); } catch (\GuzzleHttp\Promise\RejectionException $e) { echo "REJECTED $name: ", (string)$e->getReason()->getBody(), "\n"; exit(1); }
  echo "v2 micropay $name: ", $r->getStatusCode(), " ", json_encode(Transformer::toArray((string)$r->getBody())), "\n";
}
$r = $inst->v2->pay->orderquery->post(['xml' => ['appid'=>'wxd678efh567hg6787','mch_id'=>$cfg['mchid'],'out_trade_no'=>$otn.'M']]);
echo "v2 orderquery: ", json_encode(Transformer::toArray((string)$r->getBody())), "\n";
