using System.Collections.Concurrent;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.Bench.Training;

/// <summary>
/// Wraps a teacher and keeps every top-k answer in memory, keyed by the request; <see cref="Replay"/> then answers
/// the same requests at once, without the teacher: "the same teacher answers precomputed in memory".
/// </summary>
public sealed class RecordedTeacher(ITeacher live) : ITeacher
{
    private readonly ConcurrentDictionary<string, TopKResult> _answers = new();
    private readonly ConcurrentDictionary<string, TopKRequest> _requests = new();

    public ModelInfo Model => live.Model;

    public int Recorded => _answers.Count;

    public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        TopKResult answer = await live.TopKAsync(request, ct);
        _answers[Key(request)] = answer;
        _requests[Key(request)] = request;
        return answer;
    }

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) => live.GenerateAsync(request, ct);

    /// <summary>Sends the recorded requests to the live teacher again, one at a time, until cancelled; the answers are dropped.</summary>
    public async Task KeepBusyAsync(CancellationToken stop)
    {
        TopKRequest[] requests = [.. _requests.Values];
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            try { await live.TopKAsync(requests[i % requests.Length], stop); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>A teacher that answers only the recorded requests, from memory.</summary>
    public ITeacher Replay() => new ReplayTeacher(this);

    private static string Key(TopKRequest request) =>
        $"{request.K}|{request.Temperature}|{string.Join(';', request.Sequences.Select(s => string.Join(',', s)))}";

    private sealed class ReplayTeacher(RecordedTeacher recorded) : ITeacher
    {
        public ModelInfo Model => recorded.Model;

        public Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct) =>
            recorded._answers.TryGetValue(Key(request), out TopKResult? answer)
                ? Task.FromResult(answer)
                : throw new InvalidOperationException("this request was not recorded");

        public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) =>
            throw new NotSupportedException("only top-k answers are recorded");
    }
}
