export type TestService = { source: 'environment' | 'localhost'; url: string } | { source: 'container' };
export declare const LOCAL_POSTGRES: string;
export declare const LOCAL_REDIS: string;
export declare function chooseTestServices(
  env: NodeJS.ProcessEnv,
  probes: { dockerAnswers: () => Promise<boolean> },
): Promise<{ postgres: TestService; redis: TestService }>;
