// UserMalloc: see module docs.
