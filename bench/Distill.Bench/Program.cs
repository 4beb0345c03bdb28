using Distill.Bench.Server;

namespace Distill.Bench;

/// <summary>Benchmarks that print figures. A named class: TeacherServer's public Program must stay the only one.</summary>
public static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["server", .. var rest])
        {
            return await ServerBenchmark.RunAsync(rest);
        }
        Console.WriteLine("usage: Distill.Bench server [--model <folder>] [--batch 8] [--length 128] [--k 64] [--seconds 5] [--clients 16] [--threads 0]");
        return 1;
    }
}
