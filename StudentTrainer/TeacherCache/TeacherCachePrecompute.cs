using System.Diagnostics;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// Asks a teacher for every answer part <c>shard</c> of <c>shards</c> of a run needs — training batches n with
/// n mod shards = shard, and (in part 0) the evaluation's — a few batches in flight, and writes them as a cache part.
/// </summary>
public static class TeacherCachePrecompute
{
    public static TeacherCacheManifest Run(ITeacher teacher, TeacherCacheRun run, string folder, int shard, int shards, LogprobPrecision precision,
        int depth = 2, Action<string>? progress = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(run);
        DistillOptions options = run.Options;
        IdWidth ids = teacher.Model.VocabSize <= ushort.MaxValue + 1 ? IdWidth.UInt16 : IdWidth.Int32;
        using var writer = new TeacherCacheWriter(folder, shard, shards, precision, ids);
        using var prefetcher = new TeacherPrefetcher(teacher, run.InputsOf, options.TopK, (float)options.Temperature, depth, run.Batches,
            wanted: n => n % shards == shard);
        long started = Stopwatch.GetTimestamp();
        long done = 0, mine = (run.Batches - shard + shards - 1) / shards;
        for (long n = shard; n < run.Batches; n += shards)
        {
            TopKResult answer = prefetcher.Take(n, stop);
            writer.Add(new TopKRequest(run.InputsOf(n), options.TopK, (float)options.Temperature), answer);
            if (++done % 50 == 0 || done == mine)
                progress?.Invoke($"batch {done}/{mine} of part {shard}/{shards} ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)");
        }
        if (shard == 0)
        {
            foreach (TopKRequest request in run.EvaluationRequests)
                writer.Add(request, teacher.TopKAsync(request, stop).GetAwaiter().GetResult());
            foreach (GenerateRequest request in run.GenerateRequests)
                writer.Add(request, teacher.GenerateAsync(request, stop).GetAwaiter().GetResult());
        }
        return writer.Complete(new TeacherCacheManifest
        {
            Teacher = teacher.Model, K = options.TopK, Temperature = (float)options.Temperature, Precision = precision, Ids = ids,
            Data = run.Data, Shard = shard, Shards = shards,
        });
    }
}
