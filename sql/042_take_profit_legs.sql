-- Execution: take-profit legs (risk.takeProfits, up to 3) kept with the position they protect, and the largest
-- quantity it reached (each leg closes its share of that). take_profit keeps the first leg's price for readers.
ALTER TABLE positions
  ADD COLUMN take_profits JSON NULL AFTER take_profit,
  ADD COLUMN max_qty DECIMAL(30,12) NULL AFTER qty;
