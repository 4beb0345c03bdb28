using System.Diagnostics;
using System.Runtime.InteropServices;
using static Distill.Bench.Statistics;

namespace Distill.Bench.Server;

/// <summary>
/// What a prefix-cache block's fresh memory costs to touch the first time: anonymous memory of one block's size
/// (default: the keys and values of 8 rows × 208 slots of the default teacher, 24 MB), mapped fresh each round and
/// zeroed, in 4 KiB pages and with madvise(MADV_HUGEPAGE) as <c>KvBuffer</c> asks for it; interleaved rounds, medians.
/// </summary>
public static unsafe partial class KvMemoryBenchmark
{
    private const int ProtectReadWrite = 0x3, MapPrivateAnonymous = 0x02 | 0x20, AdviseHugePage = 14;
    private const long HugePage = 2 << 20;

    public static int Run(string[] args)
    {
        var flags = new BenchFlags(args);
        int rounds = flags.Int("rounds", 7);
        long bytes = flags.Long("bytes", 8L * 8 * 208 * 32 * 4 * 14);
        flags.RequireAllRead();
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("kv-memory: Linux only (madvise)");
            return 1;
        }
        var small = new List<double>();
        var huge = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            small.Add(TouchFresh(bytes, advise: false));
            huge.Add(TouchFresh(bytes, advise: true));
        }
        Console.WriteLine($"kv-memory: first touch of {bytes / 1e6:N1} MB of fresh memory, {rounds} interleaved rounds; transparent huge pages: " +
                          File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Trim());
        Console.WriteLine($"  4 KiB pages                 median {Median(small),7:N1} ms   (rounds: {string.Join(", ", small.Select(t => t.ToString("N1")))})");
        Console.WriteLine($"  madvise(MADV_HUGEPAGE)      median {Median(huge),7:N1} ms   (rounds: {string.Join(", ", huge.Select(t => t.ToString("N1")))})");
        Console.WriteLine($"  ratio {Median(small) / Median(huge):N1}x");
        return 0;
    }

    /// <returns>Milliseconds to zero the memory once, the page faults included.</returns>
    private static double TouchFresh(long bytes, bool advise)
    {
        var length = (nuint)(bytes + 2 * HugePage);
        var mapped = Map(null, length, ProtectReadWrite, MapPrivateAnonymous, -1, 0);
        if (mapped == (void*)-1)
        {
            throw new InvalidOperationException($"mmap failed: {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            var start = (byte*)(((long)mapped + HugePage - 1) / HugePage * HugePage); // aligned as NativeMemory.AlignedAlloc gives it
            if (advise && Advise(start, (nuint)bytes, AdviseHugePage) != 0)
            {
                throw new InvalidOperationException($"madvise failed: {Marshal.GetLastPInvokeError()}");
            }
            var clock = Stopwatch.StartNew();
            NativeMemory.Clear(start, (nuint)bytes);
            return clock.Elapsed.TotalMilliseconds;
        }
        finally
        {
            Unmap(mapped, length);
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Map(void* address, nuint length, int protection, int flags, int descriptor, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Unmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Advise(void* address, nuint length, int advice);
}
