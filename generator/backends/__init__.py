"""What differs per database: backend manifests, the SQL each dialect needs, and DDL translation."""
