namespace Edgewise.Numerics;

/// <summary>Argument checks shared by the row converters.</summary>
internal static class RowGeometry
{
    public static void Check(TensorType type, int elements, string elementsName, int bytes, string bytesName)
    {
        var info = TensorTypeInfo.Get(type);
        if (elements % info.BlockSize != 0)
        {
            throw new ArgumentException("The element count is not a multiple of the block size.", elementsName);
        }

        if (bytes != (long)(elements / info.BlockSize) * info.BytesPerBlock)
        {
            throw new ArgumentException("The byte count does not match the element count for this type.", bytesName);
        }
    }
}
