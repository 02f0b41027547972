-- What the exchange last said an order executed (its answer, a status event, a look-up), kept beside filled_qty (the
-- sum of the fills recorded). The exchange's word can run ahead of the fills (user stream down, fills still to be
-- polled): an entry counts the larger, so a quantity that filled is never sent again while its fills are on their way.
ALTER TABLE orders ADD COLUMN executed_qty DECIMAL(30,12) NOT NULL DEFAULT 0 AFTER filled_qty;
