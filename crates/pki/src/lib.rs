//! Keys, certificates and PKCS#12 stores as Elasticsearch's auto-configuration writes them.
