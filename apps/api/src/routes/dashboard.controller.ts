import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { Controller, Get, Param, Res } from '@nestjs/common';

import { Public } from '../auth/auth.guard';
import { notFound } from '../http/api-error';
import type { HttpResponse } from '../http/http-types';

const DIR = join(__dirname, '..', 'dashboard');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};
/** a plain file name: no directory, no dot file, a type we serve */
const FILE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The supervisor dashboard (plain files of ./dashboard): no auth here, the page asks for a token. */
@Controller()
@Public()
export class DashboardController {
  @Get()
  index(@Res() res: HttpResponse): Promise<void> {
    return send(res, 'index.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: HttpResponse): Promise<void> {
    return send(res, file);
  }
}

async function send(res: HttpResponse, file: string): Promise<void> {
  const type = TYPES[extname(file)];
  if (!FILE.test(file) || file.includes('..') || !type) throw notFound(`no dashboard file ${file}`);
  const path = join(DIR, file);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw notFound(`no dashboard file ${file}`);
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
  });
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on('error', reject).on('end', resolve).pipe(res);
  });
}
