#!/usr/bin/env node
// The CDK app: one ChatStack, configured from context (`cdk deploy -c key=value`), checked
// by cdk-nag's AWS Solutions rules on every synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from '../lib/config';
import { ChatStack } from '../lib/stack/chat-stack';

const app = new App();
const config = configFromContext(app.node);
new ChatStack(app, config.stackName, { config, env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
