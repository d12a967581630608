#!/bin/sh
# Kafka's broker API versions tool, the compose health check (the same path as in apache/kafka),
# with a small, quick-starting JVM: it runs every 10 s beside the broker.
exec java -Xmx96m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto \
  -Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.xml -cp '/opt/kafka/libs/*' \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
