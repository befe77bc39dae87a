/* The installed header, the library linked and the CMake package agree on the version.
 * Exit 0 when they do; otherwise one line per disagreement on stderr, exit 1. */
#include <stdio.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

static int check(const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) == 0)
        return 0;
    fprintf(stderr, "version_check: %s is \"%s\", expected \"%s\"\n", what, got, want);
    return 1;
}

int main(void)
{
    char from_macros[32];
    snprintf(from_macros, sizeof from_macros, "%d.%d.%d", WX_VERSION_MAJOR, WX_VERSION_MINOR,
             WX_VERSION_PATCH);
    int bad = 0;
    bad += check("WX_VERSION_STRING", WX_VERSION_STRING, WX_EXPECT_VERSION);
    bad += check("WX_VERSION_MAJOR.MINOR.PATCH", from_macros, WX_EXPECT_VERSION);
    bad += check("wx_version()", wx_version(), WX_EXPECT_VERSION);
    bad += check("wx_crypto_backend()", wx_crypto_backend(), WX_EXPECT_BACKEND);
    if (WX_VERSION_NUM != ((WX_VERSION_MAJOR << 16) | (WX_VERSION_MINOR << 8) | WX_VERSION_PATCH)) {
        fprintf(stderr, "version_check: WX_VERSION_NUM does not match the three macros\n");
        bad++;
    }
#if defined(WX_STATIC)
    bad += check("WX_STATIC", "defined", strcmp(WX_EXPECT_KIND, "static") ? "undefined" : "defined");
#else
    bad += check("WX_STATIC", "undefined", strcmp(WX_EXPECT_KIND, "static") ? "undefined" : "defined");
#endif
    if (bad)
        return 1;
    printf("wechatpay %s (%s, %s)\n", wx_version(), wx_crypto_backend(), WX_EXPECT_KIND);
    return 0;
}
