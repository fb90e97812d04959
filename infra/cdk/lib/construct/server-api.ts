// The server API: the admin function (crate chat-server-api) behind a Lambda function URL
// with IAM auth, no API Gateway (docs/server-api.md says why). Nobody may call it until
// granted: `grant(role)` in CDK code, or role ARNs from `chat:serverApiPrincipals`.
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ServerApiProps {
  /** The admin function, which serves the API. */
  readonly handler: lambda.Function;
  /** IAM role ARNs granted the API through the function's resource policy. */
  readonly principals: readonly string[];
}

export class ServerApi extends Construct {
  readonly url: lambda.FunctionUrl;
  private readonly handler: lambda.Function;

  constructor(scope: Construct, id: string, props: ServerApiProps) {
    super(scope, id);
    this.handler = props.handler;
    this.url = props.handler.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    // ArnPrincipal, not an imported role: it has no policy of its own to add to (and may
    // live in another account), so the grant lands in the function's resource policy.
    for (const arn of props.principals) this.grant(new iam.ArnPrincipal(arn));
  }

  /**
   * Lets `grantee` call the API: `lambda:InvokeFunctionUrl` (condition
   * `lambda:FunctionUrlAuthType = AWS_IAM`) and `lambda:InvokeFunction` (condition
   * `lambda:InvokedViaFunctionUrl = true`, which AWS requires of function URL callers since
   * 2025) on the admin function only. aws-cdk-lib's `grantInvokeUrl` emits both.
   */
  grant(grantee: iam.IGrantable): iam.Grant {
    return this.handler.grantInvokeUrl(grantee);
  }
}
