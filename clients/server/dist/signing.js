// SigV4 for the server API's Lambda function URL (`AuthType: AWS_IAM`, service `lambda`),
// and the defaults that decide whether and where to sign.
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
/** `localhost`, 127.0.0.0/8 and ::1: the devserver, which takes plain requests. */
export function isLoopback(url) {
    const host = url.hostname.toLowerCase();
    return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}
/** The region of a function URL host (`<id>.lambda-url.<region>.on.aws`), if it is one. */
export function regionOfFunctionUrl(url) {
    return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname.toLowerCase())?.[1];
}
/** A SigV4 signer for service `lambda`. Credentials: the given ones, else the AWS SDK's
 *  default chain (environment, SSO, shared config, web identity, container and instance
 *  roles), resolved on the first request and refreshed before they expire.
 *
 *  Lambda function URLs verify the body: the signer hashes it into `x-amz-content-sha256`
 *  (the empty body's hash for GET and DELETE) and signs that header with the rest. */
export function sigV4Signer(region, credentials) {
    const signer = new SignatureV4({
        service: 'lambda',
        region,
        credentials: credentials ?? defaultProvider(),
        sha256: Sha256,
        applyChecksum: true,
    });
    return async ({ method, url, path, query, headers, body }) => {
        const signed = await signer.sign({
            method,
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port ? Number(url.port) : undefined,
            path,
            query,
            headers: { ...headers, host: url.host },
            body,
        });
        return signed.headers;
    };
}
