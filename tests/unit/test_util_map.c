/* The internal hash map (src/util/map.c): byte and pointer keys, growth, and a failed
 * growth that leaves the map as it was. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alloc_counter.h"
#include "util/map.h"

typedef struct word_entry {
    wx_map_key key;
    int value;
} word_entry;

static void test_bytes_keys_survive_growth(void **state)
{
    (void)state;
    static char words[1000][12];
    wx_map m = WX_MAP_INIT(word_entry, WX_MAP_BYTES);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(words[i], sizeof words[i], "w%d", i);
        int created = 0;
        word_entry *e = wx_map_insert(&m, words[i], (size_t)n, &created);
        assert_non_null(e);
        assert_true(created);
        e->value = i;
    }
    assert_int_equal(m.used, 1000);
    for (int i = 0; i < 1000; i++) {
        /* found by equal bytes, not by the same pointer */
        char probe[12];
        int n = snprintf(probe, sizeof probe, "w%d", i);
        word_entry *e = wx_map_find(&m, probe, (size_t)n);
        assert_non_null(e);
        assert_int_equal(e->value, i);
    }
    assert_null(wx_map_find(&m, "w1000", 5));
    assert_null(wx_map_find(&m, "w1", 1)); /* a prefix is another key */
    int created = 1;
    word_entry *again = wx_map_insert(&m, "w7", 2, &created);
    assert_false(created);
    assert_int_equal(again->value, 7);
    wx_map_free(&m);
    assert_null(wx_map_find(&m, "w7", 2));
}

static void test_pointer_keys_compare_identity(void **state)
{
    (void)state;
    char a[] = "same", b[] = "same";
    wx_map m = WX_MAP_INIT(word_entry, WX_MAP_POINTER);
    int created;
    ((word_entry *)wx_map_insert(&m, a, 0, &created))->value = 1;
    ((word_entry *)wx_map_insert(&m, b, 0, &created))->value = 2;
    assert_int_equal(((word_entry *)wx_map_find(&m, a, 0))->value, 1);
    assert_int_equal(((word_entry *)wx_map_find(&m, b, 0))->value, 2);
    wx_map_free(&m);
}

static int g_visited;
static void visit(void *entry) { g_visited += ((word_entry *)entry)->value; }

static void test_failed_growth_changes_nothing(void **state)
{
    (void)state;
    static char keys[64][8];
    wxt_alloc_install();
    wx_map m = WX_MAP_INIT(word_entry, WX_MAP_BYTES);
    int created, i, n = 0;
    /* fill to the load limit of the first table, then fail the next growth */
    for (i = 0; i < 64; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        size_t before = m.cap;
        if (before && (m.used + 1) * 2 > before) {
            wxt_alloc_fail_at(1);
            assert_null(wx_map_insert(&m, keys[i], strlen(keys[i]), &created));
            wxt_alloc_fail_at(0);
            assert_int_equal(m.cap, before);
            break;
        }
        word_entry *e = wx_map_insert(&m, keys[i], strlen(keys[i]), &created);
        assert_non_null(e);
        e->value = 1;
        n++;
    }
    assert_int_equal(m.used, (size_t)n);
    g_visited = 0;
    wx_map_each(&m, visit);
    assert_int_equal(g_visited, n);
    for (int k = 0; k < n; k++)
        assert_non_null(wx_map_find(&m, keys[k], strlen(keys[k])));
    wx_map_free(&m);
    assert_int_equal(wxt_alloc_live(), 0);
    wxt_alloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_keys_survive_growth),
        cmocka_unit_test(test_pointer_keys_compare_identity),
        cmocka_unit_test(test_failed_growth_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
