using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// The teacher requests of one corpus run (distillation on windows, <see cref="DistillationTrainer"/>): training batch
/// n is the windows <see cref="WindowSampler"/> draws for it, asked at the run's k and τ; the evaluation asks its
/// windows at τ = 1 and the greedy continuations of its prompts. A run of several epochs needs the first epoch's only. Both sides of a cache build it from the same settings.
/// </summary>
public sealed class TeacherCacheRun
{
    private readonly WindowSampler _sampler;

    /// <param name="evaluationTopK">The k the evaluation windows are asked at (<see cref="StudentEvaluator.WindowTopK"/>).</param>
    public TeacherCacheRun(TokenStream train, DistillOptions options, EvaluationSet? evaluation, int evaluationBatch, int evaluationTopK)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _sampler = new WindowSampler(train, options.SequenceLength, options.BatchSize, options.Seed);
        EvaluationRequests = evaluation is null ? [] : StudentEvaluator.WindowRequests(evaluation, evaluationTopK, evaluationBatch).ToArray();
        GenerateRequests = evaluation is null || evaluation.Prompts.Length == 0 ? [] : [StudentEvaluator.ContinuationRequest(evaluation)];
        Data = new TeacherCacheData(Hash(train), options.SequenceLength, options.BatchSize, options.GradientAccumulation, options.Seed, EpochSteps,
            EvaluationHash(EvaluationRequests, GenerateRequests));
    }

    public DistillOptions Options { get; }

    /// <summary>Steps whose batches the run draws: all of them, or one epoch's when it repeats them (<see cref="DistillOptions.EpochSteps"/>).</summary>
    public int EpochSteps => Options.EpochSteps ?? Options.Steps;

    /// <summary>Training batches whose answers the run needs: those steps × micro-batches.</summary>
    public long Batches => (long)EpochSteps * Options.GradientAccumulation;

    public TeacherCacheData Data { get; }

    public IReadOnlyList<TopKRequest> EvaluationRequests { get; }

    public IReadOnlyList<GenerateRequest> GenerateRequests { get; }

    /// <summary>Token ids of training batch <paramref name="batch"/>, one array per window.</summary>
    public int[][] InputsOf(long batch) => _sampler.InputsOf(batch);

    /// <summary>Why a cache of <paramref name="cached"/> cannot answer this run, or null when it can (it may cover more steps).</summary>
    public string? Mismatch(TeacherCacheManifest cached)
    {
        TeacherCacheData data = cached.Data;
        if (cached.K != Options.TopK || cached.Temperature != (float)Options.Temperature)
            return $"it holds k = {cached.K} at τ = {cached.Temperature}, the run asks k = {Options.TopK} at τ = {(float)Options.Temperature}";
        if (data.TrainTokens != Data.TrainTokens) return "it was computed on other training tokens (another corpus, tokenizer or split)";
        if (data.SequenceLength != Data.SequenceLength || data.BatchSize != Data.BatchSize || data.GradientAccumulation != Data.GradientAccumulation || data.Seed != Data.Seed)
            return $"it holds the windows of --seq-len {data.SequenceLength} --batch-size {data.BatchSize} --grad-accum {data.GradientAccumulation} --seed {data.Seed}, "
                   + $"the run draws those of --seq-len {Data.SequenceLength} --batch-size {Data.BatchSize} --grad-accum {Data.GradientAccumulation} --seed {Data.Seed}";
        if (data.Steps < Data.Steps) return $"it covers the batches of {data.Steps} steps, the run draws those of {Data.Steps}";
        if (data.Evaluation != Data.Evaluation) return "its evaluation requests differ from the run's (--eval-windows, --eval-prompts, their lengths, or the validation split)";
        return null;
    }

    private static string Hash(TokenStream stream)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        const int Chunk = 1 << 20;
        for (int start = 0; start < stream.Count; start += Chunk)
            sha.AppendData(MemoryMarshal.AsBytes(stream.Read(start, Math.Min(Chunk, stream.Count - start)).AsSpan()));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string EvaluationHash(IEnumerable<TopKRequest> windows, IEnumerable<GenerateRequest> generate)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> key = stackalloc byte[16];
        foreach (TopKRequest request in windows)
            foreach (int[] sequence in request.Sequences)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(key, TeacherCacheKey.TopK(sequence, request.K, request.Temperature));
                sha.AppendData(key);
            }
        foreach (GenerateRequest request in generate)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(key, TeacherCacheKey.Generate(request));
            sha.AppendData(key);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
