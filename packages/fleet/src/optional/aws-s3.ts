import type * as S3 from '@aws-sdk/client-s3';
import { lazyMember, loadOptional } from './load-optional';

/** The AWS SDK's S3 client, an optional peer: only S3 backup locations need it. */
const load = (): typeof S3 => loadOptional<typeof S3>('@aws-sdk/client-s3', 'An S3 backup location (SILO_BACKUP_LOCATIONS)');

export const S3Client = lazyMember(load, 'S3Client');
export type S3Client = S3.S3Client;
export const DeleteObjectsCommand = lazyMember(load, 'DeleteObjectsCommand');
export const GetObjectCommand = lazyMember(load, 'GetObjectCommand');
export const ListObjectsV2Command = lazyMember(load, 'ListObjectsV2Command');
export const PutObjectCommand = lazyMember(load, 'PutObjectCommand');
export type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
