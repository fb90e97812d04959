// JWT settings for the $connect authorizer: an HS256 secret in Secrets Manager (read by the
// authorizer at cold start, never put in an environment variable), or a JWKS URL with
// issuer and audience for Cognito or any OIDC provider.
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { JwtConfig } from '../config';
import { ENV } from '../env';

export interface AuthProps {
  readonly jwt: JwtConfig;
  readonly authorizer: lambda.Function;
}

export class Auth extends Construct {
  /** The HS256 secret, when the stack uses one. */
  readonly secret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const { jwt, authorizer } = props;
    if (jwt.kind === 'jwks') {
      authorizer.addEnvironment(ENV.jwtJwksUrl, jwt.url);
      if (jwt.issuer) authorizer.addEnvironment(ENV.jwtIssuer, jwt.issuer);
      if (jwt.audience) authorizer.addEnvironment(ENV.jwtAudience, jwt.audience);
      return;
    }
    this.secret = jwt.secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'JwtSecret', jwt.secretArn)
      : new secretsmanager.Secret(this, 'JwtSecret', {
          description: 'HS256 key the chat $connect authorizer verifies tokens with',
          generateSecretString: { passwordLength: 64, excludePunctuation: true },
        });
    this.secret.grantRead(authorizer);
    authorizer.addEnvironment(ENV.jwtSecretArn, this.secret.secretArn);
  }
}
