/*
 * rss_checked.h — RSS_CHECKED: 1 when a test may hold a peak RSS to a
 * bound, 0 under AddressSanitizer, whose shadow memory and allocator
 * quarantine inflate the RSS (the tests then check the rest). For the
 * tests that measure memory (reliability/hostile_rss.c,
 * ct_writer/test_ct_writer.c, check/test_check.c).
 */
#ifndef CTREC_TESTS_RSS_CHECKED_H
#define CTREC_TESTS_RSS_CHECKED_H

#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif

#endif
