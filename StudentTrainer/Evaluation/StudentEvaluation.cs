namespace Distill.StudentTrainer.Evaluation;

/// <summary>What one evaluation of a student measured; teacher-relative figures are null without a teacher.</summary>
/// <param name="ValidationLoss">Mean next-token cross-entropy (nats) over every token of the validation split.</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ student) per position over the teacher's top-k + tail, on validation text.</param>
/// <param name="TeacherTop1Agreement">Share of validation positions where the student's most likely token is the teacher's.</param>
/// <param name="ExpectedCalibrationError">Expected calibration error of the student's top-1 next-token predictions (10 bins).</param>
/// <param name="RougeLReference">Mean ROUGE-L F1 of the student's greedy continuations of held-out prompts against the true text.</param>
/// <param name="RougeLTeacher">The same against the teacher's greedy continuations.</param>
public sealed record StudentEvaluation(
    double ValidationLoss,
    double? KlToTeacher,
    double? TeacherTop1Agreement,
    double ExpectedCalibrationError,
    double? RougeLReference,
    double? RougeLTeacher)
{
    public double ValidationPerplexity => Math.Exp(ValidationLoss);

    /// <summary>The figures by the names used in metrics.jsonl and the plots.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics()
    {
        var metrics = new Dictionary<string, double>
        {
            [MetricNames.ValidationLoss] = ValidationLoss,
            [MetricNames.Perplexity] = ValidationPerplexity,
            [MetricNames.CalibrationError] = ExpectedCalibrationError,
        };
        if (KlToTeacher is double kl) metrics[MetricNames.TeacherKl] = kl;
        if (TeacherTop1Agreement is double top1) metrics[MetricNames.Top1Agreement] = top1;
        if (RougeLReference is double rougeReference) metrics[MetricNames.RougeL] = rougeReference;
        if (RougeLTeacher is double rougeTeacher) metrics[MetricNames.RougeLTeacher] = rougeTeacher;
        return metrics;
    }

    /// <summary>The evaluation an eval record of <c>metrics.jsonl</c> holds (see <see cref="ToMetrics"/>).</summary>
    /// <exception cref="InvalidDataException">The record lacks the validation loss or the calibration error.</exception>
    public static StudentEvaluation FromMetrics(MetricsRecord record) => new(
        record.Get(MetricNames.ValidationLoss) ?? throw new InvalidDataException($"the eval record of step {record.Step} has no {MetricNames.ValidationLoss}"),
        record.Get(MetricNames.TeacherKl),
        record.Get(MetricNames.Top1Agreement),
        record.Get(MetricNames.CalibrationError) ?? throw new InvalidDataException($"the eval record of step {record.Step} has no {MetricNames.CalibrationError}"),
        record.Get(MetricNames.RougeL),
        record.Get(MetricNames.RougeLTeacher));
}

/// <summary>Evaluates a student at a point of training.</summary>
public interface IStudentEvaluator
{
    StudentEvaluation Evaluate(Model.CausalLm model);
}
