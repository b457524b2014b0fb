// Types of `stsvault/serverless`, the Serverless Framework v3 plugin (see README.md).

/** `custom.stsvault` in serverless.yml: a profile name, or stage names mapped to profiles. */
export type StsvaultCustomConfig =
  | string
  | ({
      profile?: string;
      profiles?: Record<string, string>;
      /** Fetch the session in `initialize` for commands that call AWS (default true). */
      prefetch?: boolean;
      backend?: string;
      configFile?: string;
      fileDir?: string;
      region?: string;
      durationSeconds?: number;
    } & Record<string, unknown>);

declare class StsvaultServerlessPlugin {
  constructor(serverless: unknown, options?: Record<string, unknown>, utils?: { log?: unknown });
  /** The vault profile of this run, or undefined when none is configured. */
  profile(): string | undefined;
  hooks: Record<string, () => Promise<void>>;
}

export = StsvaultServerlessPlugin;
