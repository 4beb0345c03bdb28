using System.ComponentModel.DataAnnotations;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Hosting;

/// <summary>Server settings, bound from the "TeacherServer" configuration section (and short command-line switches).</summary>
public sealed class TeacherServerOptions : IValidatableObject
{
    public const string Section = "TeacherServer";

    /// <summary>Folder of model folders; relative paths are resolved against the content root (the current directory).</summary>
    [Required]
    public string ModelsPath { get; set; } = "models";

    /// <summary>"cpu", or "cuda" in a build made with -p:DistillGpu=true.</summary>
    [Required]
    public string ExecutionProvider { get; set; } = ExecutionProviders.Cpu;

    /// <summary>
    /// Where the top-k is selected: "host" (in C#, from every position's log-probs, which leave the session), "graph" (a
    /// TopK node in the graph: only k log-probs and ids per position leave the device), or "auto": graph with a GPU
    /// execution provider, host on the CPU.
    /// </summary>
    [Required]
    public string TopKPlacement { get; set; } = TopKPlacements.Auto;

    /// <summary>ORT intra-op threads per session; 0 lets ORT choose (one per physical core).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>Largest k a request may ask for (it is also capped by the vocabulary size).</summary>
    [Range(1, 1_000_000)]
    public int MaxK { get; set; } = 256;

    /// <summary>Token budget of one ORT run: rows × padded length.</summary>
    [Range(1, 100_000_000)]
    public int MaxBatchTokens { get; set; } = 16_384;

    /// <summary>Requests admitted per model (running or waiting); one more gets 429 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int MaxQueue { get; set; } = 256;

    /// <summary>How long the batcher waits for more rows when a batch is under budget and another admitted request may still submit rows; 0 runs at once (rows that arrive during a run still form the next batch).</summary>
    [Range(0, 10_000)]
    public double BatchWindowMilliseconds { get; set; } = 1;

    /// <summary>Largest request body; a bigger one gets 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Bytes the answers in flight may take (top-k: positions × (8k + 4)); a request beyond it waits within the queue
    /// bound, one whose answer alone is larger gets 413. 0: an eighth of the memory the GC may use.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long WorkBudgetBytes { get; set; }

    /// <summary>
    /// Bytes the request bodies being read, and then their decoded token ids, may take; a request that finds it
    /// exhausted gets 429. It also caps MaxRequestBytes. 0: a sixteenth of the memory the GC may use.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long BodyBudgetBytes { get; set; }

    /// <summary>An upload slower than this (after a grace period) is dropped with 408.</summary>
    [Range(1, long.MaxValue)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 16 * 1024;

    /// <summary>A client reading the answer slower than this (after a grace period) is disconnected, so it cannot hold the work budget.</summary>
    [Range(1, long.MaxValue)]
    public double MinResponseBytesPerSecond { get; set; } = 16 * 1024;

    /// <summary>Grace period of both minimum data rates.</summary>
    [Range(1, 3600)]
    public int DataRateGraceSeconds { get; set; } = 5;

    /// <summary>
    /// Bytes of keys and values each served model version may keep for recently run token prefixes (models with a
    /// KV cache only); least recently used blocks go first. 0 turns the prefix cache off.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long PrefixCacheBytes { get; set; } = 1L << 30;

    /// <summary>
    /// Let cached steps read the past keys and values where the prefix cache keeps them when a model's present.* outputs
    /// allow it (<see cref="SplitPastGraph"/>); false runs the graph as exported, which copies the past into present.* at every step.
    /// </summary>
    public bool SplitPastAttention { get; set; } = true;

    /// <summary>
    /// Run request handling on the socket threads instead of handing every read and write to the thread pool
    /// (<see cref="InlineIo"/>). Cuts the hand-offs of a small request, which dominate token-by-token rollouts; false
    /// restores ASP.NET Core's default scheduling.
    /// </summary>
    public bool InlineIo { get; set; } = true;

    /// <summary>Largest max_new_tokens of a generate request.</summary>
    [Range(1, 1_000_000)]
    public int MaxNewTokens { get; set; } = 1024;

    /// <summary>When set, every /v1 request needs it in X-Api-Key or "Authorization: Bearer …".</summary>
    public string? ApiKey { get; set; }

    /// <summary>Quiet time after the last file event in the models folder before it is rescanned.</summary>
    [Range(0, 600_000)]
    public int WatchDebounceMilliseconds { get; set; } = 1000;

    /// <summary>Rescan period without file events (a safety net for missed events).</summary>
    [Range(1, 86_400)]
    public int RescanSeconds { get; set; } = 30;

    /// <summary>
    /// The process that started this server (its parent), or 0: when set, the server stops as soon as that process
    /// exits, however it exits (<see cref="ParentProcessWatcher"/>).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ParentProcessId { get; set; }

    /// <summary>Seconds suggested in Retry-After on 429.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ExecutionProvider is not (ExecutionProviders.Cpu or ExecutionProviders.Cuda))
        {
            yield return new ValidationResult($"ExecutionProvider must be '{ExecutionProviders.Cpu}' or '{ExecutionProviders.Cuda}', not '{ExecutionProvider}'.", [nameof(ExecutionProvider)]);
        }
#if !DISTILL_GPU
        if (ExecutionProvider == ExecutionProviders.Cuda)
        {
            yield return new ValidationResult("ExecutionProvider 'cuda' needs the GPU build: dotnet build -p:DistillGpu=true.", [nameof(ExecutionProvider)]);
        }
#endif
        if (TopKPlacements.Problem(TopKPlacement) is { } placementProblem)
        {
            yield return new ValidationResult(placementProblem, [nameof(TopKPlacement)]);
        }
        if (ApiKey is { Length: 0 })
        {
            yield return new ValidationResult("ApiKey is empty; leave it unset for no key.", [nameof(ApiKey)]);
        }
    }
}
