// Schema of the venue section: the simulated Binance-compatible venue (paper mode, `bosun venue`, tests).
// Guarantees its market source, clock catch-up, matching and stream parameters are explicit and in range.
import { z } from 'zod';

export const venueSchema = z.strictObject({
  /** Names the venue's rows in the venue_* tables (one database may hold several venues). */
  venueId: z.string().regex(/^[a-z0-9_-]{1,32}$/),
  host: z.string().min(1),
  /** 0 = any free port (the embedded venue); `bosun venue --port` overrides. */
  port: z.number().int().min(0).max(65_535),
  /** Database of a standalone venue; null = the daemon's own database. */
  dbUrl: z.string().regex(/^mariadb:\/\/[^/]+\/[A-Za-z0-9_]+$/, 'expected mariadb://user@host:port/database').nullable(),
  market: z.strictObject({
    source: z.enum(['synthetic', 'replay_csv', 'replay_db']),
    /** replay_csv: one candle CSV per symbol, e.g. { "BTC/USDT:USDT": "../shared/data/btcusdt-1m-2023-03-01_21.csv" }. */
    files: z.record(z.string(), z.string()),
    /** replay_db: the database whose candles table is replayed; null = the venue's own database. */
    dbUrl: z.string().regex(/^mariadb:\/\/[^/]+\/[A-Za-z0-9_]+$/).nullable(),
  }),
  /**
   * Derivatives data the venue serves (open interest, long/short ratios, taker volume, funding history, the forceOrder
   * stream). 'auto': generated for the synthetic market, replayed from the derivatives tables for replay_db, none for
   * replay_csv; 'synthetic': generated from whatever market the venue plays; 'replay_db': the derivatives tables of the
   * replayed database; 'none': empty answers, no liquidations.
   */
  derivatives: z.strictObject({
    source: z.enum(['auto', 'synthetic', 'replay_db', 'none']),
    synthetic: z.strictObject({
      /** Open interest ≈ this many days of the last day's volume. */
      oiDays: z.number().positive().max(30),
      /** A 1m move (open to the extreme) beyond this many σ of the last hour's 1m returns sets off a liquidation burst. */
      liqMoveSigma: z.number().positive(),
      /** A liquidation burst totals this share of the minute's traded notional (× how far the move went, at most half). */
      liqVolumeShare: z.number().positive().max(0.5),
      /** Chance of a lone liquidation in a calm minute. */
      liqBackground: z.number().min(0).max(1),
    }),
  }),
  /**
   * 'ticks': each minute is played as a path of ticks (market orders fill on arrival against the book, stops on the
   * smoothed mark; trades, book, mark and running klines streamed). 'bars': each minute trades as one bar at its close,
   * exactly as the backtest's venue does (market orders at the next bar's open, stop before target when a bar touches
   * both); only the closed kline and the mark are streamed. Deterministic: for replays that must match a backtest.
   */
  matching: z.enum(['ticks', 'bars']),
  /** Minutes of market a fresh venue has before its clock starts (served by klines for warm-up). */
  historyMinutes: z.number().int().min(0).max(100_000),
  /** A venue restarted within this many simulated minutes keeps its clock running and catches up; longer re-anchors. */
  maxCatchUpMinutes: z.number().int().min(0),
  /** Fraction of a tick's volume resting limit orders may take (partial fills); 0 = unlimited. */
  participation: z.number().min(0).max(1),
  fundingIntervalMs: z.number().int().min(60_000),
  interestRate: z.number().min(-0.01).max(0.01),
  liquidationFeeRate: z.number().min(0).max(0.05),
  /** Weight of the last price in the mark price per tick. */
  markSmoothing: z.number().min(0.01).max(1),
  /**
   * true: a stop or take-profit whose trigger is already crossed on arrival is refused with -2021 "Order would immediately
   * trigger.", as Binance does (README, "The simulated venue"); false: accepted, and the next tick triggers it.
   */
  rejectWouldTrigger: z.boolean(),
  /**
   * The simulated account's settings as Binance keeps them: position mode (hedge is a valid account setting; bosun
   * refuses to trade it at start) and the margin type a symbol has until bosun sets risk.marginType.
   */
  account: z.strictObject({ positionMode: z.enum(['one_way', 'hedge']), marginType: z.enum(['isolated', 'cross']) }),
  /** A tick is at least this many wall-clock ms apart at the configured speed (bounds frames per second). */
  minWallStepMs: z.number().int().min(1),
  maxStepsPerMinute: z.number().int().min(1).max(60),
  loopMs: z.number().int().min(1).max(1000),
  listenKeyValidityMs: z.number().int().min(1000),
  maxConnectionMs: z.number().int().min(1000),
});
