//! Reader and writer of the elasticsearch.keystore format.
