/** The machine a benchmark runs on, as its report states it. */

export interface Machine {
  /** `nproc`: the cores this process may use. */
  cores: number;
  cpu: string;
  memory_gib: number;
  kernel: string;
  deno: string;
  load_average_start: number[];
}

/** Cores, CPU, memory, kernel, Deno and the load average now. */
export async function machineInfo(): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const nproc = await new Deno.Command("nproc", { stdout: "piped" }).output();
  return {
    cores: Number(new TextDecoder().decode(nproc.stdout).trim()),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU",
    memory_gib: Math.round(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 2 ** 20),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    load_average_start: Deno.loadavg(),
  };
}

/** The machine in one line: "2 × Intel(R) Xeon(R), 24 GB RAM, linux 6.1, Deno 2.9.6 (V8 …); …". */
export function machineLine(machine: Machine): string {
  return `${machine.cores} × ${machine.cpu}, ${machine.memory_gib} GB RAM, ` +
    `${Deno.build.os} ${machine.kernel}, Deno ${machine.deno} (V8 ${Deno.version.v8}); ` +
    `load average at start ${machine.load_average_start.map((l) => l.toFixed(2)).join(" ")}`;
}
