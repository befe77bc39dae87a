<?php
require getenv('WXPAY_PHP_AUTOLOAD');
use WeChatPay\Builder; use WeChatPay\Crypto\Rsa; use WeChatPay\Util\PemUtil;
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
$r = $inst->chain('v3/industry-coupon/tokens')->post(['json' => ['open_id' => 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', 'coupon_list' => [['stock_id'=>1000,'coupon_id'=>'2000']]]]);
echo "v3 tokens: ", $r->getStatusCode(), " ", $r->getBody(), "\n";
$r = $inst->chain('v3/pay/transactions/native')->post(['json' => ['appid'=>'wxd678efh567hg6787','mchid'=>$cfg['mchid'],'description'=>'t','out_trade_no'=>'php'.time(),'notify_url'=>'http://127.0.0.1:9/n','amount'=>['total'=>1,'currency'=>'CNY']]]);
echo "v3 native: ", $r->getStatusCode(), " ", $r->getBody(), "\n";
try { $r = $inst->v3->pay->transactions->outTradeNo->_out_trade_no_->get(['out_trade_no' => 'nonexistent1', 'query' => ['mchid' => $cfg['mchid']]]);
echo "v3 query: ", $r->getStatusCode(), "\n"; } catch (\GuzzleHttp\Exception\ClientException $e) { echo "v3 query: ", $e->getResponse()->getStatusCode(), " ", $e->getResponse()->getBody(), "\n"; }
