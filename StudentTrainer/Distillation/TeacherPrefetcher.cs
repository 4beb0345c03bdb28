using System.Diagnostics;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// Keeps the teacher requests of the next batches in flight while the current batch trains: taking batch n makes
/// sure batches n … n + depth have been asked for, then waits for n alone. The time spent waiting is measured.
/// With a filter only the batches it names are asked for (the next depth + 1 of them from n on): the gold batches of a
/// scheme whose other batches are sampled from the student, which can only be asked once sampled.
/// </summary>
public sealed class TeacherPrefetcher : IDisposable
{
    /// <summary>Indices a filtered request looks through for its depth + 1 batches, per batch.</summary>
    private const int ScanPerBatch = 64;

    private readonly ITeacher _teacher;
    private readonly Func<long, int[][]> _inputsOf;
    private readonly int _k;
    private readonly float _temperature;
    private readonly int _depth;
    private readonly long _endBatch;
    private readonly Func<long, bool>? _wanted;
    private readonly TaskScheduler _scheduler;
    private readonly Dictionary<long, Task<TopKResult>> _inFlight = [];
    private readonly CancellationTokenSource _cancellation = new();
    private readonly Stopwatch _waiting = new();

    /// <param name="inputsOf">Token ids of batch n (the sequences sent to the teacher).</param>
    /// <param name="depth">Batches requested ahead of the one being taken (0: none, the teacher is waited for every step).</param>
    /// <param name="endBatch">One past the last batch index that will be taken.</param>
    /// <param name="wanted">Whether batch n will be taken, as far as is known when asked (null: every batch). A batch it
    /// named that is then passed over is dropped; one it did not name is asked when taken.</param>
    /// <param name="scheduler">Where requests are sent from (the thread pool when null).</param>
    public TeacherPrefetcher(ITeacher teacher, Func<long, int[][]> inputsOf, int k, float temperature, int depth, long endBatch,
                             Func<long, bool>? wanted = null, TaskScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(inputsOf);
        if (depth < 0) throw new ArgumentException($"prefetch depth must be ≥ 0, got {depth}");
        _teacher = teacher;
        _inputsOf = inputsOf;
        _k = k;
        _temperature = temperature;
        _depth = depth;
        _endBatch = endBatch;
        _wanted = wanted;
        _scheduler = scheduler ?? TaskScheduler.Default;
    }

    /// <summary>Time spent blocked in <see cref="Take"/> so far.</summary>
    public TimeSpan Waited => _waiting.Elapsed;

    /// <summary>
    /// Asks for batches <paramref name="batchIndex"/> … + depth (with a filter: the next depth + 1 it names) that are not
    /// asked for yet, without waiting, and drops answers of batches before <paramref name="batchIndex"/>. From a cold
    /// start (nothing in flight) each of them is sent once the one before it is answered: sent together, a server would
    /// batch them into one run and the first answer would take that much longer.
    /// </summary>
    public void Request(long batchIndex)
    {
        DropBefore(batchIndex);
        bool cold = _inFlight.Count == 0;
        Task? previous = null;
        int asked = 0;
        long scanEnd = _wanted is null ? batchIndex + _depth + 1 : batchIndex + (long)(_depth + 1) * ScanPerBatch;
        for (long n = batchIndex; n < scanEnd && n < _endBatch && asked <= _depth; n++)
        {
            if (_wanted is not null && !_wanted(n)) continue;
            if (!_inFlight.TryGetValue(n, out Task<TopKResult>? answer))
            {
                long next = n;
                answer = cold && previous is not null
                    ? previous.ContinueWith(_ => Ask(next), CancellationToken.None, TaskContinuationOptions.None, _scheduler).Unwrap()
                    : Ask(n);
                _inFlight[n] = answer;
            }
            previous = answer;
            asked++;
        }
    }

    private void DropBefore(long batchIndex)
    {
        foreach (long stale in _inFlight.Keys.Where(n => n < batchIndex).ToArray())
        {
            _inFlight.Remove(stale, out Task<TopKResult>? answer);
            Observe(answer!);
        }
    }

    private static void Observe(Task<TopKResult> pending) =>
        pending.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observed: no unobserved-exception noise

    /// <summary>The teacher's answer for batch <paramref name="batchIndex"/>; requests the following batches first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="stop"/> fired while waiting.</exception>
    public TopKResult Take(long batchIndex, CancellationToken stop = default)
    {
        Request(batchIndex);
        if (!_inFlight.Remove(batchIndex, out Task<TopKResult>? answer))
            answer = Ask(batchIndex);
        _waiting.Start();
        try
        {
            answer.Wait(stop);
            return answer.GetAwaiter().GetResult();
        }
        finally
        {
            _waiting.Stop();
        }
    }

    private Task<TopKResult> Ask(long batchIndex)
    {
        int[][] sequences = _inputsOf(batchIndex);
        CancellationToken token = _cancellation.Token;
        return Task.Factory.StartNew(() => _teacher.TopKAsync(new TopKRequest(sequences, _k, _temperature), token), token,
            TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap();
    }

    public void Dispose()
    {
        _cancellation.Cancel();
        foreach (Task<TopKResult> pending in _inFlight.Values) Observe(pending);
        _inFlight.Clear();
    }
}
