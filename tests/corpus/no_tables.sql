-- Only comments, no tables.
/* nothing here */
