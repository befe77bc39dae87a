/* APIv2's flat XML documents to and from json-c objects (wechatpay/apiv2.h).
 *
 * Decoding uses expat, held to the only shape APIv2 uses: <xml> with text-only fields.
 * A DOCTYPE stops the parser before anything in it is read (so no external entity is
 * fetched and no internal one defined: no XXE, no billion laughs); an entity reference
 * other than the five predefined ones cannot appear without a DOCTYPE, and expat
 * reports it as undefined. Size is checked before parsing. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <expat.h>
#include <json-c/json.h>
#include <wechatpay/apiv2.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* ---------------------------------------------------------------- encode */

static int xml_name_ok(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

/* CDATA cannot hold "]]>": end the section between "]]" and ">" and start another.
 * A CR would come back as LF (XML normalises line ends), so it goes as &#13; between
 * sections. */
static void put_cdata(wx_buf *b, const char *v)
{
    wx_buf_puts(b, "<![CDATA[");
    for (;;) {
        size_t n = strcspn(v, "]\r");
        wx_buf_append(b, v, n);
        v += n;
        if (!*v)
            break;
        if (*v == '\r') {
            wx_buf_puts(b, "]]>&#13;<![CDATA[");
            v++;
        } else if (!strncmp(v, "]]>", 3)) {
            wx_buf_puts(b, "]]]]><![CDATA[");
            v += 2;
        } else {
            wx_buf_putc(b, *v++);
        }
    }
    wx_buf_puts(b, "]]>");
}

wx_err wx_v2_xml_encode(const json_object *fields, char **xml, size_t *len, wx_error_t *err)
{
    if (!fields || !json_object_is_type(fields, json_type_object) || !xml)
        return wx_error_set(err, WX_E_INVALID_ARG, "fields", "the fields must be a JSON object");
    *xml = NULL;
    wx_buf b = WX_BUF_INIT;
    (void)wx_buf_reserve(&b, 1024); /* a typical request at once */
    wx_buf_puts(&b, "<xml>");
    json_object_object_foreach((json_object *)fields, key, val) {
        json_type t = json_object_get_type(val);
        if (!xml_name_ok(key)) {
            wx_buf_free(&b);
            return wx_error_set(err, WX_E_INVALID_ARG, key,
                                "an APIv2 field name is ASCII letters, digits and '_'");
        }
        if (t != json_type_string && t != json_type_int && t != json_type_double) {
            wx_buf_free(&b);
            return wx_error_set(err, WX_E_INVALID_ARG, key,
                                "an APIv2 field must be a string or a number");
        }
        /* puts, not printf: this runs for every field of every APIv2 request. */
        wx_buf_putc(&b, '<');
        wx_buf_puts(&b, key);
        wx_buf_putc(&b, '>');
        if (t == json_type_string) {
            put_cdata(&b, json_object_get_string(val));
        } else if (t == json_type_int) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)json_object_get_int64(val));
            wx_buf_puts(&b, num);
        } else {
            wx_buf_puts(&b, json_object_get_string(val));
        }
        wx_buf_puts(&b, "</");
        wx_buf_puts(&b, key);
        wx_buf_putc(&b, '>');
    }
    wx_buf_puts(&b, "</xml>");
    *xml = wx_buf_steal(&b, len);
    return *xml ? WX_OK : wx_error_set(err, WX_E_NOMEM, "xml", NULL);
}

/* ---------------------------------------------------------------- decode */

typedef struct decoder {
    XML_Parser p;
    json_object *out;
    wx_buf text;       /* the current field's text */
    int depth;         /* 0 outside, 1 in <xml>, 2 in a field */
    char field[128];
    const char *why;   /* set when this decoder stopped the parser */
} decoder;

static void stop(decoder *d, const char *why)
{
    if (!d->why)
        d->why = why;
    XML_StopParser(d->p, XML_FALSE);
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    decoder *d = ud;
    if (d->why)
        return;
    if (attrs && attrs[0])
        return stop(d, "attributes are not part of an APIv2 document");
    if (d->depth == 0 && strcmp(name, "xml") != 0 && strcmp(name, "root") != 0)
        return stop(d, "the document element must be <xml>");
    if (d->depth >= 2)
        return stop(d, "an APIv2 field holds text, not elements (nesting is refused)");
    if (d->depth == 1) {
        size_t n = strlen(name);
        if (n >= sizeof d->field)
            return stop(d, "a field name is too long");
        if (json_object_object_get_ex(d->out, name, NULL))
            return stop(d, "a field appears twice");
        memcpy(d->field, name, n + 1);
        wx_buf_reset(&d->text);
    }
    d->depth++;
}

static void on_end(void *ud, const XML_Char *name)
{
    decoder *d = ud;
    (void)name;
    if (d->why)
        return;
    if (d->depth == 2) {
        json_object *v = json_object_new_string_len(wx_buf_str(&d->text), (int)d->text.len);
        if (!v || !wx_buf_ok(&d->text) || json_object_object_add(d->out, d->field, v) != 0) {
            json_object_put(v);
            return stop(d, "out of memory");
        }
    }
    d->depth--;
}

static int blank(const XML_Char *s, int len)
{
    for (int i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    decoder *d = ud;
    if (d->why)
        return;
    if (d->depth == 2)
        wx_buf_append(&d->text, s, (size_t)len);
    else if (!blank(s, len))
        stop(d, "text outside a field");
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    stop(ud, "a DOCTYPE is refused (no DTDs or entities in APIv2)");
}

static void on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                           int value_len, const XML_Char *base, const XML_Char *sysid,
                           const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    stop(ud, "an entity declaration is refused");
}

/* Any reference expat cannot resolve by itself (an undeclared or external entity). */
static void on_skipped(void *ud, const XML_Char *name, int is_param)
{
    (void)name, (void)is_param;
    stop(ud, "an entity reference is refused");
}

static void on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
    (void)target, (void)data;
    stop(ud, "a processing instruction is refused");
}

/* expat salts its hash tables from the system's random source on every new parser, a
 * system call each time; a salt drawn once per thread keeps the protection for less. */
static unsigned long hash_salt(void)
{
    static _Thread_local unsigned long salt;
    static _Thread_local int ready;
    if (!ready) {
        if (getrandom(&salt, sizeof salt, 0) != (ssize_t)sizeof salt)
            salt = (unsigned long)(uintptr_t)&salt ^ (unsigned long)time(NULL);
        ready = 1;
    }
    return salt;
}

/* Making a parser costs more than parsing a typical answer, so each thread keeps its
 * last one and resets it (XML_ParserReset keeps the memory, clears every setting and
 * handler); a thread's parser is freed when the thread ends. */
static pthread_key_t g_parser_key;
static pthread_once_t g_parser_once = PTHREAD_ONCE_INIT;
static int g_parser_key_ok;

static void free_parser(void *p) { XML_ParserFree(p); }
static void make_key(void) { g_parser_key_ok = pthread_key_create(&g_parser_key, free_parser) == 0; }

static XML_Parser take_parser(void)
{
    pthread_once(&g_parser_once, make_key);
    XML_Parser p = g_parser_key_ok ? pthread_getspecific(g_parser_key) : NULL;
    if (p) {
        pthread_setspecific(g_parser_key, NULL);
        if (XML_ParserReset(p, "UTF-8"))
            return p;
        XML_ParserFree(p);
    }
    return XML_ParserCreate("UTF-8");
}

static void give_back(XML_Parser p)
{
    if (g_parser_key_ok && !pthread_getspecific(g_parser_key) &&
        pthread_setspecific(g_parser_key, p) == 0)
        return;
    XML_ParserFree(p);
}

static XML_Parser make_parser(decoder *d)
{
    XML_Parser p = take_parser();
    if (!p)
        return NULL;
    XML_SetHashSalt(p, hash_salt());
    XML_SetUserData(p, d);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetEntityDeclHandler(p, on_entity_decl);
    XML_SetSkippedEntityHandler(p, on_skipped);
    XML_SetProcessingInstructionHandler(p, on_pi);
    /* Never read anything outside the document, even if a DOCTYPE got through. */
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    return p;
}

wx_err wx_v2_xml_decode(const char *xml, size_t len, json_object **out, wx_error_t *err)
{
    if (!out || (!xml && len))
        return wx_error_set(err, WX_E_INVALID_ARG, "xml", "no document");
    *out = NULL;
    if (len > WX_V2_XML_MAX_BYTES)
        return wx_error_set(err, WX_E_TOO_LARGE, "xml",
                            "the XML document has %zu bytes, more than the %d allowed", len,
                            WX_V2_XML_MAX_BYTES);
    decoder d = {.out = json_object_new_object()};
    wx_buf_init(&d.text);
    d.text.limit = WX_V2_XML_MAX_BYTES;
    d.p = d.out ? make_parser(&d) : NULL;
    if (!d.p) {
        json_object_put(d.out);
        return wx_error_set(err, WX_E_NOMEM, "xml", NULL);
    }
    enum XML_Status st = XML_Parse(d.p, xml ? xml : "", (int)len, XML_TRUE);
    wx_err rc = WX_OK;
    if (st != XML_STATUS_OK || d.why) {
        const char *why = d.why ? d.why : XML_ErrorString(XML_GetErrorCode(d.p));
        if (!d.why && XML_GetErrorCode(d.p) == XML_ERROR_UNDEFINED_ENTITY)
            why = "an entity reference is refused (undefined entity)";
        rc = wx_error_set(err, d.why && !strcmp(d.why, "out of memory") ? WX_E_NOMEM : WX_E_XML,
                          "", "XML answer refused: %s", why);
        if (err)
            snprintf(err->where, sizeof err->where, "line %lu, column %lu",
                     (unsigned long)XML_GetCurrentLineNumber(d.p),
                     (unsigned long)XML_GetCurrentColumnNumber(d.p) + 1);
    }
    give_back(d.p);
    wx_buf_free(&d.text);
    if (rc != WX_OK) {
        json_object_put(d.out);
        return rc;
    }
    *out = d.out;
    return WX_OK;
}
