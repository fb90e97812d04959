// Attachments: a private bucket clients upload to and download from with presigned URLs
// (bytes never pass through API Gateway or Lambda), and the media function S3 invokes for
// every new upload. Uploads are tagged `state=pending` until a message takes them; the
// lifecycle rule deletes what nobody attached within a day. Account exports are written
// under exports/ by the function that runs account jobs, and expire after two days (their
// links work for one).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';

/** Object key prefixes: uploads' bytes, and thumbnails. */
export const UPLOADS_PREFIX = 'u/';
export const THUMBNAILS_PREFIX = 't/';
/** Account exports (`chat_core::store::export::EXPORTS_PREFIX`). */
export const EXPORTS_PREFIX = 'exports/';

export interface MediaProps {
  readonly destroyData: boolean;
  readonly corsOrigins: string[];
  /** Presign uploads and downloads, mark attached objects: send, and the server API
   *  (which sends messages with attachments as a user). */
  readonly senders: readonly lambda.Function[];
  /** Account jobs (the jobs function): delete a deleted account's uploads and thumbnails,
   *  and sign the links an export gives to the user's attachments (a presigned GET works
   *  only if its signer may read the object). */
  readonly deleters?: readonly lambda.Function[];
  /** Checks uploads and writes thumbnails. */
  readonly checker: lambda.Function;
  /** Runs account jobs: writes export files (and presigns their links), deletes them with
   *  the account. */
  readonly exporters: readonly lambda.Function[];
  /** Sign fresh links to finished export files (the server API's `GET …/export`). */
  readonly exportReaders?: readonly lambda.Function[];
  /** Days objects are kept, as the messages they are attached to (`chat:retentionDays`); 0: forever. */
  readonly retentionDays: number;
}

export class Media extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: MediaProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: props.destroyData,
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
          allowedOrigins: props.corsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        { id: 'DeleteUnattachedUploads', tagFilters: { state: 'pending' }, expiration: Duration.days(1) },
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // An export's link works for 24 hours; the file goes the day after (S3 counts days
        // to the next midnight UTC, so 2 days is always past the link's expiry).
        { id: 'ExpireExports', prefix: EXPORTS_PREFIX, expiration: Duration.days(2) },
        // Attachments (and their thumbnails) expire with the messages that carry them.
        ...(props.retentionDays > 0 ? [{ id: 'ExpireWithMessages', expiration: Duration.days(props.retentionDays) }] : []),
      ],
    });
    const objects = (prefix: string) => this.bucket.arnForObjects(`${prefix}*`);
    // The send functions sign upload URLs (PUT with the pending tag) for u/ only, download
    // URLs for u/ and t/, and retags what a message attached.
    for (const sender of props.senders) {
      sender.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:PutObjectTagging'],
          resources: [objects(UPLOADS_PREFIX)],
        }),
      );
      sender.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObjectTagging'],
          resources: [objects(UPLOADS_PREFIX), objects(THUMBNAILS_PREFIX)],
        }),
      );
    }
    for (const deleter of props.deleters ?? []) {
      deleter.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:DeleteObject'],
          resources: [objects(UPLOADS_PREFIX), objects(THUMBNAILS_PREFIX)],
        }),
      );
      deleter.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects(UPLOADS_PREFIX)] }));
    }
    // Account jobs write, link and delete export files, and nothing else of the bucket's
    // through this statement (PutObjectTagging: every object written is tagged).
    for (const exporter of props.exporters) {
      exporter.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:DeleteObject'],
          resources: [objects(EXPORTS_PREFIX)],
        }),
      );
    }
    for (const reader of props.exportReaders ?? []) {
      reader.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects(EXPORTS_PREFIX)] }));
    }
    // The media function reads (and deletes a refused) upload, writes thumbnails.
    props.checker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [objects(UPLOADS_PREFIX)],
      }),
    );
    props.checker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:PutObjectTagging'],
        resources: [objects(THUMBNAILS_PREFIX)],
      }),
    );
    // HeadObject of a missing key answers 403 without ListBucket; with it, 404 (ours only).
    props.checker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${UPLOADS_PREFIX}*`] } },
      }),
    );
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(props.checker), {
      prefix: UPLOADS_PREFIX,
    });
  }
}
