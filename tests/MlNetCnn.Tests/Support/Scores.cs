using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetCnn.Tests.Support;

/// <summary>Reads the output columns of a scored data view.</summary>
public static class Scores
{
    public static float[] Column(IDataView scored, string name = CnnTransformer.ScoreColumnName) =>
        scored.GetColumn<float>(name).ToArray();

    public static bool[] Predicted(IDataView scored) =>
        scored.GetColumn<bool>(CnnTransformer.PredictedLabelColumnName).ToArray();
}
