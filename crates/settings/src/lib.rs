//! Elasticsearch settings as the node builds them: elasticsearch.yml, -E overrides, defaults.
