// Page tables: see PageTables docs.
