using System.Collections.Concurrent;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Teacher;
using Distill.Testing;

namespace Distill.StudentTrainer.Tests.Distillation;

public sealed class TeacherPrefetcherTests
{
    [Fact]
    public void From_a_cold_start_each_batch_is_asked_once_the_one_before_is_answered()
    {
        var teacher = new GatedTeacher();
        var scheduler = new ManualTaskScheduler();
        using var prefetcher = new TeacherPrefetcher(teacher, n => [[(int)n, 1, 2]], k: 2, temperature: 1, depth: 2, endBatch: 10,
            scheduler: scheduler);
        prefetcher.Request(0);
        scheduler.RunAll();
        Assert.Equal([0], teacher.Asked);               // 1 and 2 wait for 0's answer

        teacher.Answer(0);
        scheduler.RunAll();
        Assert.Equal([0, 1], teacher.Asked);
        teacher.Answer(1);
        scheduler.RunAll();
        Assert.Equal([0, 1, 2], teacher.Asked);
    }

    [Fact]
    public void Once_warm_the_next_batch_is_asked_without_waiting_for_the_ones_in_flight()
    {
        var teacher = new GatedTeacher();
        var scheduler = new ManualTaskScheduler();
        using var prefetcher = new TeacherPrefetcher(teacher, n => [[(int)n, 1, 2]], k: 2, temperature: 1, depth: 2, endBatch: 10,
            scheduler: scheduler);
        prefetcher.Request(0);
        for (int n = 0; n < 2; n++)
        {
            scheduler.RunAll();
            teacher.Answer(n);
        }
        scheduler.RunAll();
        Assert.Equal([0, 1, 2], teacher.Asked);
        Assert.Equal(100, prefetcher.Take(0).Sequences[0].Ids[0]);
        Assert.Equal(101, prefetcher.Take(1).Sequences[0].Ids[0]);
        scheduler.RunAll();
        Assert.Equal([0, 1, 2, 3], teacher.Asked);       // batch 3 goes out at once, though batch 2 is not answered yet
    }

    [Fact]
    public async Task With_a_filter_only_the_batches_it_names_are_asked_ahead_and_passed_over_ones_are_dropped()
    {
        var teacher = new GatedTeacher();
        var scheduler = new ManualTaskScheduler();
        using var prefetcher = new TeacherPrefetcher(teacher, n => [[(int)n, 1, 2]], k: 2, temperature: 1, depth: 1, endBatch: 10,
            wanted: n => n % 2 == 0, scheduler: scheduler);
        prefetcher.Request(0);
        scheduler.RunAll();
        teacher.Answer(0);
        scheduler.RunAll();
        Assert.Equal(100, prefetcher.Take(0).Sequences[0].Ids[0]);
        scheduler.RunAll();
        Assert.Equal([0, 2], teacher.Asked);             // 1 is not named: not asked ahead

        Task<TopKResult> unnamed = Task.Run(() => prefetcher.Take(3)); // 2 is passed over and dropped; 3 is asked when taken
        scheduler.WaitForQueued(2);                      // 4 (named, asked ahead) and 3
        scheduler.RunAll();
        Assert.Equal([0, 2, 3, 4], teacher.Asked.Order());
        teacher.Answer(3);
        scheduler.RunAll();
        Assert.Equal(103, (await unnamed.WaitAsync(TimeSpan.FromSeconds(60))).Sequences[0].Ids[0]);
        teacher.Answer(4);
        scheduler.RunAll();
        Assert.Equal([0, 2, 3, 4, 6], teacher.Asked.Order());
        Assert.Equal(104, prefetcher.Take(4).Sequences[0].Ids[0]);
        scheduler.RunAll();
        Assert.Equal(5, teacher.Asked.Count);            // 4 came from its prefetch, 6 is still in flight
    }

    /// <summary>A teacher whose answers are released one by one by the test; answer n has id 100 + n.</summary>
    private sealed class GatedTeacher : ITeacher
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _gates = new();
        private readonly List<int> _asked = [];

        public List<int> Asked { get { lock (_asked) return [.. _asked]; } }

        public ModelInfo Model => new("gated", "v1", 8, 16, "byte-level-bpe", "gated", null);

        public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
        {
            int batch = request.Sequences[0][0];
            lock (_asked) _asked.Add(batch);
            await Gate(batch).Task.WaitAsync(ct);
            int length = request.Sequences[0].Length;
            var ids = Enumerable.Repeat(100 + batch, length * request.K).ToArray();
            return new TopKResult("gated", "v1", request.K, [new SequenceTopK(length, request.K, ids, new float[length * request.K], new float[length])]);
        }

        public void Answer(int batch) => Gate(batch).TrySetResult();

        /// <summary>Completed on the test's thread, which hands the waiting request back to the test's scheduler at once.</summary>
        private TaskCompletionSource Gate(int batch) => _gates.GetOrAdd(batch, _ => new TaskCompletionSource());

        public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) => throw new NotSupportedException();
    }
}
