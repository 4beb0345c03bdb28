using System.Collections.Concurrent;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Tests.Distillation;

public sealed class TeacherPrefetcherTests
{
    [Fact]
    public void From_a_cold_start_each_batch_is_asked_once_the_one_before_is_answered()
    {
        var teacher = new GatedTeacher();
        using var prefetcher = new TeacherPrefetcher(teacher, n => [[(int)n, 1, 2]], k: 2, temperature: 1, depth: 2, endBatch: 10);
        prefetcher.Request(0);
        Assert.True(teacher.WaitForAsked(1));
        Thread.Sleep(100);
        Assert.Equal([0], teacher.Asked);               // 1 and 2 wait for 0's answer

        teacher.Answer(0);
        Assert.True(teacher.WaitForAsked(2));
        teacher.Answer(1);
        Assert.True(teacher.WaitForAsked(3));
        Assert.Equal([0, 1, 2], teacher.Asked);
    }

    [Fact]
    public void Once_warm_the_next_batch_is_asked_without_waiting_for_the_ones_in_flight()
    {
        var teacher = new GatedTeacher();
        using var prefetcher = new TeacherPrefetcher(teacher, n => [[(int)n, 1, 2]], k: 2, temperature: 1, depth: 2, endBatch: 10);
        prefetcher.Request(0);
        for (int n = 0; n < 2; n++)
        {
            Assert.True(teacher.WaitForAsked(n + 1));
            teacher.Answer(n);
        }
        Assert.True(teacher.WaitForAsked(3));
        Assert.Equal(100, prefetcher.Take(0).Sequences[0].Ids[0]);
        Assert.Equal(101, prefetcher.Take(1).Sequences[0].Ids[0]);
        Assert.True(teacher.WaitForAsked(4));            // batch 3 goes out at once, though batch 2 is not answered yet
        Assert.Equal([0, 1, 2, 3], teacher.Asked);
        teacher.Answer(2);
        teacher.Answer(3);
    }

    [Fact]
    public async Task With_a_filter_only_the_batches_it_names_are_asked_ahead_and_passed_over_ones_are_dropped()
    {
        var teacher = new GatedTeacher();
        using var prefetcher = new TeacherPrefetcher(teacher, n => [[(int)n, 1, 2]], k: 2, temperature: 1, depth: 1, endBatch: 10,
            wanted: n => n % 2 == 0);
        prefetcher.Request(0);
        Assert.True(teacher.WaitForAsked(1));
        teacher.Answer(0);
        Assert.True(teacher.WaitForAsked(2));
        Assert.Equal(100, prefetcher.Take(0).Sequences[0].Ids[0]);
        Thread.Sleep(100);
        Assert.Equal([0, 2], teacher.Asked);             // 1 is not named: not asked ahead

        Task<TopKResult> unnamed = Task.Run(() => prefetcher.Take(3)); // 2 is passed over and dropped; 3 is asked when taken
        Assert.True(teacher.WaitForAsked(4));
        teacher.Answer(3);
        Assert.Equal(103, (await unnamed).Sequences[0].Ids[0]);
        teacher.Answer(4);
        Assert.True(teacher.WaitForAsked(5));
        Assert.Equal([0, 2, 3, 4, 6], teacher.Asked.Order());
        Assert.Equal(104, prefetcher.Take(4).Sequences[0].Ids[0]);
        Thread.Sleep(100);
        Assert.Equal(5, teacher.Asked.Count);            // 4 came from its prefetch, 6 is still in flight
        teacher.Answer(6);
    }

    /// <summary>A teacher whose answers are released one by one by the test; answer n has id 100 + n.</summary>
    private sealed class GatedTeacher : ITeacher
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _gates = new();
        private readonly List<int> _asked = [];
        private readonly SemaphoreSlim _askedSignal = new(0);

        public List<int> Asked { get { lock (_asked) return [.. _asked]; } }

        public ModelInfo Model => new("gated", "v1", 8, 16, "byte-level-bpe", "gated", null);

        public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
        {
            int batch = request.Sequences[0][0];
            lock (_asked) _asked.Add(batch);
            _askedSignal.Release();
            await Gate(batch).Task.WaitAsync(ct);
            int length = request.Sequences[0].Length;
            var ids = Enumerable.Repeat(100 + batch, length * request.K).ToArray();
            return new TopKResult("gated", "v1", request.K, [new SequenceTopK(length, request.K, ids, new float[length * request.K], new float[length])]);
        }

        public void Answer(int batch) => Gate(batch).TrySetResult();

        public bool WaitForAsked(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Asked.Count < count)
                if (!_askedSignal.Wait(deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero)) return false;
            return true;
        }

        private TaskCompletionSource Gate(int batch) => _gates.GetOrAdd(batch, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) => throw new NotSupportedException();
    }
}
