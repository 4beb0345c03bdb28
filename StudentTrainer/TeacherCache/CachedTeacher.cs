using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// A teacher that answers from a precomputed cache (<see cref="TeacherCacheReader"/>) and never from a server: a
/// request whose sequences are all stored is answered with the stored answers, any other fails in one line.
/// </summary>
public sealed class CachedTeacher(TeacherCacheReader cache) : ITeacher, IDisposable
{
    public ModelInfo Model => cache.Manifest.Teacher;

    public TeacherCacheManifest Manifest => cache.Manifest;

    /// <exception cref="InvalidOperationException">The cache was computed for another run; the message says how it differs.</exception>
    public void Check(TeacherCacheRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Mismatch(cache.Manifest) is { } reason)
            throw new InvalidOperationException($"the teacher cache '{cache.Folder}' does not fit this run: {reason}");
    }

    public Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Start != 0) throw new TeacherCacheMissException($"the teacher cache '{cache.Folder}' answers whole sequences, not from position {request.Start}");
        var sequences = new SequenceTopK[request.Sequences.Length];
        for (int i = 0; i < sequences.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            sequences[i] = cache.TryRead(request.Sequences[i], request.K, request.Temperature)
                           ?? throw new TeacherCacheMissException(
                               $"the teacher cache '{cache.Folder}' holds no answer at k = {request.K}, τ = {request.Temperature} for a sequence this run asks: "
                               + "it was computed for another run (data, --seq-len, --batch-size, --grad-accum, --seed, --steps, --k, --temperature or evaluation settings)");
        }
        return Task.FromResult(new TopKResult(Model.Name, Model.Version, request.K, sequences));
    }

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) =>
        Task.FromResult(cache.TryGenerate(request)
                        ?? throw new TeacherCacheMissException($"the teacher cache '{cache.Folder}' holds no answer to this run's generate request (other evaluation settings?)"));

    public void Dispose() => cache.Dispose();
}

/// <summary>A run asked the teacher cache something it does not hold.</summary>
public sealed class TeacherCacheMissException(string message) : InvalidOperationException(message);
