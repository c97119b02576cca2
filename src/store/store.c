/* store: written next */
typedef int nines_store_placeholder_t;
