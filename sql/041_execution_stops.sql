-- Execution: what the stop rules need to survive a restart (seed 000's trailing_high): the best price seen since
-- the position opened, and the stop it opened with (1R for the breakeven move).
ALTER TABLE positions
  ADD COLUMN peak_price DECIMAL(30,12) NULL AFTER take_profit,
  ADD COLUMN initial_stop DECIMAL(30,12) NULL AFTER peak_price;
