-- Citus layout of kefu-scorecard: one statement per table of migrations/versions/
-- (tests/deploy/test_citus_layout.py parses both and holds them equal).
-- Run on the coordinator after `alembic upgrade head`, before any traffic.
-- deploy/README.md "Past one machine" says why each table is where it is.

-- Reference tables: copied to every node, read locally by every shard.
-- consumer_offsets: a row per (group, topic, partition), written in every scoring batch's
-- transaction (with the results) and by ingest for the logs it reads.
SELECT create_reference_table('consumer_offsets');

-- Distributed by shop_id, every table co-located with shops: a shop's rows live on one
-- node, so a shop's reads and each shop's share of a batch stay on that node.
SELECT create_distributed_table('shops', 'shop_id');
SELECT create_distributed_table('agents', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('api_keys', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('chat_messages', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('order_events', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('dead_letters', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('buyer_state', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('sessions', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('inquiries', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('violations', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('agent_daily', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('agent_responses', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('shop_daily', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('rescore_jobs', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('alert_rules', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('alert_state', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('webhook_subscriptions', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('webhook_events', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('webhook_deliveries', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('webhook_attempts', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('targets', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('bonus_plans', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('honour_plans', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('lost_inquiry_marks', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('bad_review_marks', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('review_events', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('raw_purges', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('order_reviews', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('qa_notices', 'shop_id', colocate_with => 'shops');
-- admin_audit: its append-only trigger must exist on the shards too (Citus 11+: run with
-- citus.enable_unsafe_triggers, or re-create the trigger on each shard).
SELECT create_distributed_table('admin_audit', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('console_users', 'shop_id', colocate_with => 'shops');
SELECT create_distributed_table('console_sessions', 'shop_id', colocate_with => 'shops');

-- Unique indexes Citus cannot enforce on a distributed table (they lack shop_id). Each must
-- be replaced before create_distributed_table, as said here (the test lists them too):
-- unique-without-shop_id: ix_api_keys_key_hash -- key → shop lookup across shops: make it (shop_id, key_hash) and carry the shop in the key, or keep api_keys as a reference table
-- unique-without-shop_id: ix_dead_letters_source -- make it (shop_id, src_topic, src_partition, src_offset, reason): a record's shop is in its bytes, so the dedupe is the same
-- unique-without-shop_id: ix_console_users_email -- sign-in asks for no shop (email unique across shops): keep console_users a reference table, or ask for the shop at sign-in and make it (shop_id, email)
-- unique-without-shop_id: ix_console_sessions_token_hash -- session cookie → session: carry the shop in the cookie (shop_id.token) and make it (shop_id, token_hash), the primary key already
