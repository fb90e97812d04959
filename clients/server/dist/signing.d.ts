/** AWS credentials (structurally the AWS SDK's `AwsCredentialIdentity`). */
export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
    expiration?: Date;
}
/** Resolves credentials for each request; should cache and refresh them itself, as the
 *  AWS SDK's providers do. */
export type CredentialsProvider = () => Promise<Credentials>;
/** One request as it goes on the wire: `path` and the keys and values of `query` as sent,
 *  the path already percent-encoded, the query not. */
export interface WireRequest {
    method: string;
    url: URL;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    body?: string;
}
/** Adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (temporary
 *  credentials) and `authorization` to the request's headers. */
export type Signer = (request: WireRequest) => Promise<Record<string, string>>;
/** `localhost`, 127.0.0.0/8 and ::1: the devserver, which takes plain requests. */
export declare function isLoopback(url: URL): boolean;
/** The region of a function URL host (`<id>.lambda-url.<region>.on.aws`), if it is one. */
export declare function regionOfFunctionUrl(url: URL): string | undefined;
/** A SigV4 signer for service `lambda`. Credentials: the given ones, else the AWS SDK's
 *  default chain (environment, SSO, shared config, web identity, container and instance
 *  roles), resolved on the first request and refreshed before they expire.
 *
 *  Lambda function URLs verify the body: the signer hashes it into `x-amz-content-sha256`
 *  (the empty body's hash for GET and DELETE) and signs that header with the rest. */
export declare function sigV4Signer(region: string, credentials?: Credentials | CredentialsProvider): Signer;
