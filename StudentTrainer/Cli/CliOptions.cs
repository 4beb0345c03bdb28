using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Cli;

/// <summary>Options shared by several commands, and their conversion to runtime settings.</summary>
public static class CliOptions
{
    public static Option<string> Data() => new("--data")
    {
        Description = "Corpus: a folder (read recursively, in ordinal path order) of .txt files (one document each; a book with CHAPTER headings is split by chapter), "
                      + ".jsonl files (field \"text\", one document a line) and .parquet files (column \"text\", one document a row), or one such file",
        DefaultValueFactory = _ => "data/austen",
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "Execution device: cpu, or cuda / cuda:N with the GPU build (-p:DistillGpu=true)",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for TorchSharp (0 = all cores)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed of every random choice (weights, batches, sampling)",
        DefaultValueFactory = _ => 1234,
    };

    /// <summary>Sets the thread count and returns the torch device for the <c>--device</c> value.</summary>
    public static Device ApplyRuntime(string device, int threads)
    {
        if (threads < 0) throw new ArgumentException($"--threads must be ≥ 0, got {threads}");
        // libtorch's own default is the number of physical cores, which a VM with 2 vCPUs reports as 1.
        torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
        string normalised = device.Trim().ToLowerInvariant();
        if (normalised == "cpu") return CPU;
        if (normalised.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"--device {device}: CUDA is not available (build with -p:DistillGpu=true on a machine with a GPU)");
            return torch.device(normalised);
        }
        throw new ArgumentException($"--device must be cpu or cuda[:N], got '{device}'");
    }

    public static string RequireFolder(string path, string what)
    {
        if (!Directory.Exists(path)) throw new ArgumentException($"{what} folder '{path}' does not exist");
        return path;
    }
}
