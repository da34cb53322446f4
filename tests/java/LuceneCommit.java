// Writes a Lucene index commit with the given commit user data, as Elasticsearch's
// PersistedClusterStateService does under <path.data>/_state (lifecycle spec §1.5, §8.3), for the
// finalize tests to read back without Lucene. One document, so the commit lists one segment.
// Usage: java -cp lucene-core-8.jar LuceneCommit.java <dir> key=value...

import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

public class LuceneCommit {
    public static void main(String[] args) throws Exception {
        Map<String, String> data = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            data.put(kv[0], kv[1]);
        }
        try (Directory dir = FSDirectory.open(Paths.get(args[0]));
             IndexWriter w = new IndexWriter(dir, new IndexWriterConfig())) {
            Document doc = new Document();
            doc.add(new StringField("type", "global", Field.Store.YES));
            w.addDocument(doc);
            w.setLiveCommitData(data.entrySet());
            w.commit();
        }
        System.out.println("OK");
    }
}
