package bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Counts scan events per (owner facility, shift, scan type) in a RocksDB-backed store, exactly once
 * (exactly_once_v2). The topic is keyed by owner facility, so each task owns its facilities' counts and
 * nothing is repartitioned: the Kafka Streams way of keyed state, as the ledger's is meant to be.
 * Shifts are the default calendar's (06-14, 14-22, 22-06 in Asia/Shanghai). Settings from the
 * environment: BOOTSTRAP, TOPIC, APPLICATION_ID, STATE_DIR.
 */
public final class CountPeer {
  private static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    String topic = System.getenv("TOPIC");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, System.getenv("APPLICATION_ID"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, System.getenv("BOOTSTRAP"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, System.getenv("STATE_DIR"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore("counts"), Serdes.String(), Serdes.Long()));
    builder.stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .process(Counter::new, "counts");

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      done.countDown();
    }));
    streams.start();
    System.out.println("{\"msg\":\"kstreams peer running\",\"topic\":\"" + topic + "\"}");
    done.await();
  }

  private static final class Counter implements Processor<byte[], byte[], Void, Void> {
    private KeyValueStore<String, Long> counts;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      counts = context.getStateStore("counts");
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      String key = keyOf(record.value());
      if (key == null) return; // bad input: the ledger dead-letters it; a count has nothing to count
      Long n = counts.get(key);
      counts.put(key, n == null ? 1L : n + 1);
    }
  }

  /** "<owner facility>|<shift>|<type>", or null when the event cannot be read. */
  static String keyOf(byte[] value) {
    if (value == null) return null;
    try {
      JsonNode e = JSON.readTree(value);
      String type = e.path("type").asText("");
      String segment = "FEEDBACK".equals(type) ? e.path("route").asText("") : e.path("from").asText("");
      int slash = segment.indexOf('/');
      String owner = slash < 0 ? segment : segment.substring(0, slash);
      ZonedDateTime at = Instant.parse(e.path("occurredAt").asText("")).atZone(ZONE);
      int hour = at.getHour();
      String shift = hour >= 22 ? at.toLocalDate() + "/N"
          : hour < 6 ? at.toLocalDate().minusDays(1) + "/N"
          : at.toLocalDate() + (hour < 14 ? "/E" : "/L");
      return owner + "|" + shift + "|" + type;
    } catch (Exception badInput) {
      return null;
    }
  }
}
