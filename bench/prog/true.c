/* bench/user-rss.js: a dynamically linked program that does nothing (/bin/true): start-up only. */
int main(void) { return 0; }
