<?php
// Loads Debian's Guzzle (php-guzzlehttp-guzzle) and the official PHP SDK from
// $WECHATPAY_PHP_SDK (a checkout of wechatpay-apiv3/wechatpay-php, not shipped here).
// guzzlehttp/uri-template is not packaged by Debian: this stand-in expands {var} only,
// which is all the APIv2 paths used here need.
namespace GuzzleHttp\UriTemplate {
    final class UriTemplate {
        public static function expand(string $t, array $v): string {
            return preg_replace_callback('/\{([^}]+)\}/', function ($m) use ($v) {
                return rawurlencode((string)($v[$m[1]] ?? ''));
            }, $t);
        }
    }
}
namespace {
    require '/usr/share/php/GuzzleHttp/autoload.php';
    $sdk = rtrim((string)getenv('WECHATPAY_PHP_SDK'), '/') . '/src/';
    spl_autoload_register(function ($c) use ($sdk) {
        if (strpos($c, 'WeChatPay\\') === 0) {
            $f = $sdk . str_replace('\\', '/', substr($c, 10)) . '.php';
            if (is_file($f)) require $f;
        }
    });
    require_once $sdk . 'Exception/WeChatPayException.php';
}
