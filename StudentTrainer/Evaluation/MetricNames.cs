namespace Distill.StudentTrainer.Evaluation;

/// <summary>Names of the values in <c>metrics.jsonl</c> that <see cref="TrainingPlots"/> knows how to draw.</summary>
public static class MetricNames
{
    /// <summary>Training objective, (1−λ)·CE + λ·D (train records).</summary>
    public const string Loss = "loss";

    /// <summary>Cross-entropy part of the objective on the gold tokens, nats per token (train records).</summary>
    public const string CrossEntropy = "ce";

    /// <summary>Divergence part of the objective, nats per token (train records).</summary>
    public const string Divergence = "divergence";

    /// <summary>Validation perplexity of the student (eval records).</summary>
    public const string Perplexity = "perplexity";

    /// <summary>KL(teacher ‖ student) on the validation set, nats per token (eval records).</summary>
    public const string TeacherKl = "kl_teacher";

    /// <summary>Fraction of validation positions where the student's and the teacher's top-1 tokens agree (eval records).</summary>
    public const string Top1Agreement = "top1_agreement";

    /// <summary>ROUGE-L F-measure of generated responses against the references (eval records).</summary>
    public const string RougeL = "rouge_l";

    /// <summary>ROUGE-L F-measure of generated responses against the teacher's own greedy responses (eval records).</summary>
    public const string RougeLTeacher = "rouge_l_teacher";

    /// <summary>Mean validation cross-entropy, nats per token (eval records).</summary>
    public const string ValidationLoss = "val_loss";

    /// <summary>Expected calibration error of the student's next-token predictions (eval records).</summary>
    public const string CalibrationError = "ece";
}
