// The pre-send hook: a Lambda of yours the send function and the server API invoke
// synchronously before storing each send and edit (docs/server-api.md#pre-send-hook). This
// passes them its ARN, failure mode and timeout, and lets them invoke exactly that ARN.
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PreSendHookConfig } from '../config';
import { ENV } from '../env';

export interface PreSendHookProps {
  readonly config: PreSendHookConfig;
  /** The functions that store messages: send, and the server API. */
  readonly callers: readonly lambda.Function[];
}

export class PreSendHook extends Construct {
  readonly hook: lambda.IFunction;

  constructor(scope: Construct, id: string, props: PreSendHookProps) {
    super(scope, id);
    const { config } = props;
    this.hook = lambda.Function.fromFunctionArn(this, 'Hook', config.functionArn);
    for (const caller of props.callers) {
      caller.addEnvironment(ENV.preSendHook, config.functionArn);
      caller.addEnvironment(ENV.preSendHookFailure, config.failure);
      caller.addEnvironment(ENV.preSendHookTimeoutMs, String(config.timeoutMs));
      // The ARN as given, and nothing else: grantInvoke would add `<arn>:*` (every version
      // and alias), more than the callers invoke.
      caller.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.hook.functionArn] }),
      );
    }
  }
}
