using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// Evaluates a student on an <see cref="EvaluationSet"/>: validation perplexity, calibration, and, with a teacher,
/// KL(teacher ‖ student) over the teacher's top-k + tail at τ = 1, top-1 agreement, and ROUGE-L of greedy
/// continuations against the true text and the teacher's own greedy continuations. The teacher's answers are
/// fetched once and reused by every evaluation (the teacher is frozen).
/// </summary>
public sealed class StudentEvaluator(EvaluationSet set, LoadedTokenizer tokenizer, Device device, ITeacher? teacher,
                                     int batchSize = 16, int teacherTopK = StudentEvaluator.DefaultTeacherTopK) : IStudentEvaluator, IDisposable
{
    /// <summary>The k the teacher is asked at on the evaluation windows, unless told otherwise.</summary>
    public const int DefaultTeacherTopK = 256;

    private readonly List<TeacherTargets> _teacherWindows = [];
    private string[]? _teacherContinuations;

    public StudentEvaluation Evaluate(CausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            (double validationLoss, _) = PerplexityEvaluator.Evaluate(model, set.Split, batchSize, device);
            (double? kl, double? top1, double ece) = WindowFigures(model);
            (double? rougeReference, double? rougeTeacher) = RougeFigures(model);
            return new StudentEvaluation(validationLoss, kl, top1, ece, rougeReference, rougeTeacher);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private (double? Kl, double? Top1, double Ece) WindowFigures(CausalLm model)
    {
        EnsureTeacherWindows();
        var calibration = new CalibrationError();
        double klSum = 0, agreeSum = 0;
        long positions = 0;
        using var noGrad = no_grad();
        for (int first = 0, chunk = 0; first < set.WindowStarts.Length; first += batchSize, chunk++)
        {
            using var scope = NewDisposeScope();
            int[] starts = set.WindowStarts.Skip(first).Take(batchSize).ToArray();
            (Tensor inputs, Tensor targets) = set.Split.Slice(starts, set.WindowLength);
            Tensor logits = model.Forward(inputs.to(device));                                        // (B, T, V)
            calibration.Add(logits.flatten(0, 1), targets.to(device).flatten());
            if (teacher is null) continue;
            TeacherTargets answer = _teacherWindows[chunk].To(device);
            Tensor kl = Divergences.PerPosition(DivergenceKind.Fkl, logits, answer.Ids, answer.LogProbs, new DivergenceOptions()); // (B, T)
            klSum += kl.to_type(ScalarType.Float64).sum().item<double>();
            agreeSum += logits.argmax(-1).eq(answer.Ids[.., .., 0]).sum().item<long>();
            positions += kl.numel();
        }
        return teacher is null
            ? (null, null, calibration.Value)
            : (klSum / positions, agreeSum / positions, calibration.Value);
    }

    private (double? Reference, double? Teacher) RougeFigures(CausalLm model)
    {
        if (set.Prompts.Length == 0) return (null, null);
        string[] student = GreedyContinuations(model);
        double reference = RougeL.Mean(student.Zip(set.References.Select(Decode)));
        if (teacher is null) return (reference, null);
        _teacherContinuations ??= TeacherContinuations();
        return (reference, RougeL.Mean(student.Zip(_teacherContinuations)));
    }

    private string[] GreedyContinuations(CausalLm model)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = set.ContinuationLength, Temperature = 0, EosId = tokenizer.EosId,
        };
        int promptLength = set.Prompts[0].Length;
        using Tensor prompts = tensor(set.Prompts.SelectMany(p => p.Select(i => (long)i)).ToArray(), [set.Prompts.Length, promptLength]);
        using Tensor output = TextGenerator.Generate(model, prompts.to(device), options);
        long[] ids = output.cpu().data<long>().ToArray();
        int width = (int)output.shape[1];
        return Enumerable.Range(0, set.Prompts.Length)
            .Select(row => Decode(ids.AsSpan(row * width + promptLength, width - promptLength).ToArray().Select(i => (int)i).ToArray()))
            .ToArray();
    }

    /// <summary>The generate request whose answers are the teacher's greedy continuations of the prompts.</summary>
    public static GenerateRequest ContinuationRequest(EvaluationSet set) =>
        new(set.Prompts, set.ContinuationLength, ContinuationText.GreedyTeacherTemperature, 1f, Seed: 0, StopAtEos: true);

    /// <summary>The top-k requests (τ = 1) of the windows, <paramref name="batchSize"/> windows each, in the order they are asked.</summary>
    public static IEnumerable<TopKRequest> WindowRequests(EvaluationSet set, int k, int batchSize)
    {
        for (int first = 0; first < set.WindowStarts.Length; first += batchSize)
            yield return new TopKRequest(set.WindowInputs(first, batchSize), k, 1f);
    }

    /// <summary>The k the windows are asked at: <paramref name="teacherTopK"/>, or the whole vocabulary when smaller.</summary>
    public static int WindowTopK(int teacherTopK, int vocabSize) => Math.Min(teacherTopK, vocabSize);

    private string[] TeacherContinuations()
    {
        GenerateResponse response = teacher!.GenerateAsync(ContinuationRequest(set), CancellationToken.None).GetAwaiter().GetResult();
        return response.Completions.Select(c => Decode(c.Tokens)).ToArray();
    }

    private string Decode(int[] ids) => ContinuationText.Decode(tokenizer, ids);

    private void EnsureTeacherWindows()
    {
        if (teacher is null || _teacherWindows.Count > 0) return;
        foreach (TopKRequest request in WindowRequests(set, WindowTopK(teacherTopK, teacher.Model.VocabSize), batchSize))
        {
            TopKResult answer = teacher.TopKAsync(request, CancellationToken.None).GetAwaiter().GetResult();
            _teacherWindows.Add(TeacherTargets.From(answer, set.WindowLength));
        }
    }

    public void Dispose()
    {
        foreach (TeacherTargets answer in _teacherWindows) answer.Dispose();
        _teacherWindows.Clear();
    }
}
